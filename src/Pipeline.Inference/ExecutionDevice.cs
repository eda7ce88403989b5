using System.Collections.Concurrent;
using Microsoft.ML.OnnxRuntime;

namespace Pipeline.Inference;

/// <summary>Which device the caller asks for (<c>--device auto|cpu|gpu</c>).</summary>
public enum ComputeDevice
{
    /// <summary>CUDA when its provider loads and a session starts on it, else the CPU (the report says why).</summary>
    Auto,
    Cpu,
    /// <summary>CUDA or an error: for runs whose figures only make sense on a GPU.</summary>
    Gpu,
}

/// <summary>
/// The device that actually runs the models, and a description for reports: "CUDA:0", "CPU", or the CPU with why
/// CUDA did not run ("CPU (no CUDA: libcublasLt.so.13 not found)").
/// </summary>
public sealed record ExecutionDevice(int? GpuDeviceId, string Description)
{
    public bool IsGpu => GpuDeviceId is not null;

    /// <param name="whyNotGpu">Why CUDA did not run, as the description shows it in brackets; null when the CPU was asked for.</param>
    public static ExecutionDevice Cpu(string? whyNotGpu = null) =>
        new(null, whyNotGpu is null ? "CPU" : $"CPU ({whyNotGpu})");

    public static ExecutionDevice Cuda(int deviceId) => new(deviceId, $"CUDA:{deviceId}");

    /// <summary>
    /// Picks the device for <paramref name="requested"/>. For Auto and Gpu this checks once per process that ONNX
    /// Runtime's CUDA provider can load (<see cref="CudaProvider"/>: quietly, so a CPU machine sees no error); the
    /// session each model opens is the second half of the check (see <see cref="OnnxModelFile.Open"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">Gpu was asked for and the CUDA provider does not load; or no ONNX Runtime native library is installed.</exception>
    public static ExecutionDevice Select(ComputeDevice requested, int gpuDeviceId = 0)
    {
        if (requested == ComputeDevice.Cpu)
            return Cpu();
        string? failure = s_cudaProbe.GetOrAdd(gpuDeviceId, CudaProvider.WhyNot);
        if (failure is null)
            return Cuda(gpuDeviceId);
        if (requested == ComputeDevice.Gpu)
        {
            throw new InvalidOperationException(
                $"The GPU was required (--device gpu, ComputeDevice.Gpu) but ONNX Runtime's CUDA provider cannot run on device {gpuDeviceId}: {failure}. " +
                "Install the CUDA and cuDNN versions Microsoft.ML.OnnxRuntime.Gpu needs, or allow the CPU (--device cpu or auto; ComputeDevice.Cpu or Auto).");
        }
        return Cpu(failure);
    }

    private static readonly ConcurrentDictionary<int, string?> s_cudaProbe = new();

    /// <summary>ONNX Runtime's messages carry a source location; keep the part a person can act on.</summary>
    internal static string ShortReason(string message)
    {
        const string withError = "with error: ";
        int i = message.LastIndexOf(withError, StringComparison.Ordinal);
        if (i >= 0)
            return message[(i + withError.Length)..].Trim();
        i = message.LastIndexOf(" : ", StringComparison.Ordinal);
        return (i >= 0 ? message[(i + 3)..] : message).Trim();
    }
}
