using System.Collections.Concurrent;
using System.Runtime.InteropServices;
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

/// <summary>The device that actually runs the models, and a description for reports ("CUDA:0", "CPU (CUDA provider unavailable: …)").</summary>
public sealed record ExecutionDevice(int? GpuDeviceId, string Description)
{
    public bool IsGpu => GpuDeviceId is not null;

    public static ExecutionDevice Cpu(string? whyNotGpu = null) =>
        new(null, whyNotGpu is null ? "CPU" : $"CPU (CUDA provider unavailable: {whyNotGpu})");

    public static ExecutionDevice Cuda(int deviceId) => new(deviceId, $"CUDA:{deviceId}");

    /// <summary>
    /// Picks the device for <paramref name="requested"/>. For Auto and Gpu this loads ONNX Runtime's
    /// CUDA provider once per process (ONNX Runtime logs one error line when it cannot); the session
    /// each model opens is the second half of the check (see <see cref="OnnxModelFile.Open"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">Gpu was asked for and the CUDA provider does not load.</exception>
    public static ExecutionDevice Select(ComputeDevice requested, int gpuDeviceId = 0)
    {
        if (requested == ComputeDevice.Cpu)
            return Cpu();
        string? failure = s_cudaProbe.GetOrAdd(gpuDeviceId, ProbeCuda);
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

    /// <returns>null when the provider loads; else the reason it does not.</returns>
    private static string? ProbeCuda(int deviceId)
    {
        try
        {
            if (!OrtEnv.Instance().GetAvailableProviders().Contains("CUDAExecutionProvider"))
                return "this ONNX Runtime build has no CUDA provider";
            using var options = new SessionOptions();
            options.AppendExecutionProvider_CUDA(deviceId);
            return null;
        }
        catch (Exception ex) when (ex is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            return MissingDependencyOfCudaProvider() ?? ShortReason(ex.Message);
        }
    }

    /// <summary>
    /// ONNX Runtime's exception only says "Failed to load shared library" (the dlopen error goes to its
    /// log): load the provider library ourselves to get the missing dependency's name.
    /// </summary>
    private static string? MissingDependencyOfCudaProvider()
    {
        const string provider = "libonnxruntime_providers_cuda.so";
        string baseDir = AppContext.BaseDirectory;
        string? path = new[] { Path.Combine(baseDir, provider), Path.Combine(baseDir, "runtimes", "linux-x64", "native", provider) }
            .FirstOrDefault(File.Exists);
        if (path is null)
            return null;
        try
        {
            NativeLibrary.Free(NativeLibrary.Load(path));
            return null;
        }
        catch (DllNotFoundException ex)
        {
            // "...: libcublasLt.so.13: cannot open shared object file: No such file or directory"
            var match = System.Text.RegularExpressions.Regex.Match(ex.Message, @"(lib[\w.+-]+\.so[\w.]*: cannot open shared object file[^\r\n]*)");
            return match.Success ? match.Groups[1].Value.TrimEnd('.', ' ') : null;
        }
    }

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
