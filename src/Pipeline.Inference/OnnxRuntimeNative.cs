using System.Reflection;
using Microsoft.ML.OnnxRuntime;

namespace Pipeline.Inference;

/// <summary>
/// ONNX Runtime's native library, which this library does not bring: an app adds it with one native package, as
/// ONNX Runtime's own managed package asks of its users. Without it, ONNX Runtime's first call fails with a type
/// initialisation error that does not say which package is missing; this says it.
/// </summary>
internal static class OnnxRuntimeNative
{
    /// <summary>ONNX Runtime's process-wide environment.</summary>
    /// <exception cref="InvalidOperationException">No ONNX Runtime native library is installed.</exception>
    public static OrtEnv Environment()
    {
        try
        {
            return OrtEnv.Instance();
        }
        catch (TypeInitializationException ex) when (IsMissing(ex))
        {
            throw Missing(ex);
        }
    }

    public static bool IsMissing(TypeInitializationException ex) => ex.InnerException is DllNotFoundException;

    public static InvalidOperationException Missing(Exception inner) => new(
        $"ONNX Runtime's native library (onnxruntime) is not installed: this app references {PackageId} alone. " +
        $"Reference exactly one of its native packages instead: {PackageId}.Cpu (runs on the CPU) or {PackageId}.Gpu (CUDA when it can).",
        inner);

    /// <summary>This library's NuGet package id (set once, in Directory.Build.props, and stamped into the assembly).</summary>
    public static string PackageId { get; } = typeof(OnnxRuntimeNative).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "PackageId").Value!;
}
