using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Microsoft.ML.OnnxRuntime;

namespace Pipeline.Inference;

/// <summary>
/// Whether ONNX Runtime's CUDA provider can load, found out without an error on the console. ONNX Runtime's own
/// check (appending the provider to session options) prints "Failed to load library libonnxruntime_providers_cuda.so
/// with error: …" through its process-wide logger whenever CUDA is absent: on every run of the GPU build on a CPU
/// machine, although running on the CPU is then the right outcome. So the provider's library is first looked for
/// beside ONNX Runtime's and loaded here: a missing provider or a missing CUDA library is the answer without asking
/// ONNX Runtime. ONNX Runtime is asked only when the library loads or this check cannot tell, and then its answer
/// (error line included) is the one that counts.
/// </summary>
internal static partial class CudaProvider
{
    /// <returns>null when the provider loads; else why not, as <see cref="ExecutionDevice.Cpu"/> shows it.</returns>
    /// <exception cref="InvalidOperationException">No ONNX Runtime native library is installed.</exception>
    public static string? WhyNot(int deviceId)
    {
        if (!OnnxRuntimeNative.Environment().GetAvailableProviders().Contains("CUDAExecutionProvider"))
            return "CUDA provider not installed: this ONNX Runtime is its CPU build";
        string? missing = WhyNotLoadable(NativeSearchDirectories());
        if (missing is not null)
            return missing;
        try
        {
            using var options = new SessionOptions();
            options.AppendExecutionProvider_CUDA(deviceId);
            return null;
        }
        catch (Exception ex) when (ex is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            return "no CUDA: " + ExecutionDevice.ShortReason(ex.Message);
        }
    }

    /// <summary>The file names ONNX Runtime's GPU build uses on this OS (macOS has no CUDA build).</summary>
    private static (string Runtime, string Provider) FileNames { get; } = OperatingSystem.IsWindows()
        ? ("onnxruntime.dll", "onnxruntime_providers_cuda.dll")
        : ("libonnxruntime.so", "libonnxruntime_providers_cuda.so");

    /// <summary>
    /// Looks in the first of <paramref name="searchDirectories"/> that holds ONNX Runtime's library, where ONNX Runtime
    /// looks for its providers: the provider's library must be there and load.
    /// </summary>
    /// <returns>Why the provider cannot load; null when it loads or when that cannot be told from here (ONNX Runtime
    /// loaded from a folder not searched, a library that fails for another reason than a missing file).</returns>
    internal static string? WhyNotLoadable(IEnumerable<string> searchDirectories)
    {
        string? runtimeDirectory = searchDirectories.FirstOrDefault(d => File.Exists(Path.Combine(d, FileNames.Runtime)));
        if (runtimeDirectory is null)
            return null;
        string provider = Path.Combine(runtimeDirectory, FileNames.Provider);
        if (!File.Exists(provider))
            return $"CUDA provider not installed: {FileNames.Provider} not found";
        try
        {
            NativeLibrary.Free(NativeLibrary.Load(provider));
            return null;
        }
        catch (DllNotFoundException ex)
        {
            return MissingLibrary(ex.Message) is string library ? $"no CUDA: {library} not found" : null;
        }
    }

    /// <summary>The library the loader did not find, from its message ("…: libcublasLt.so.13: cannot open shared object file: …").</summary>
    internal static string? MissingLibrary(string loaderMessage)
    {
        var match = MissingLibraryPattern().Match(loaderMessage);
        return match.Success ? match.Groups[1].Value : null;
    }

    [GeneratedRegex(@"(lib[\w.+-]+\.so[\w.]*): cannot open shared object file")]
    private static partial Regex MissingLibraryPattern();

    /// <summary>
    /// The folders .NET loads native libraries from for this app, in the order it tries them: the runtimes/&lt;rid&gt;/native
    /// folders of its packages (from the app's deps.json), then the app's own folder (an app published for one runtime).
    /// </summary>
    private static IEnumerable<string> NativeSearchDirectories()
    {
        string fromHost = AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") as string ?? "";
        return fromHost.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Append(AppContext.BaseDirectory);
    }
}
