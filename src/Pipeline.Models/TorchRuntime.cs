using System.Runtime.InteropServices;
using TorchSharp;

namespace Pipeline.Models;

/// <summary>Thrown when libtorch cannot be loaded; the message says why and what to do, in a few lines.</summary>
public sealed class TorchRuntimeUnavailableException(string message) : Exception(message);

/// <summary>
/// Loads TorchSharp's native libraries once, up front, so a failure is one clear message instead of
/// TorchSharp's 40-line probing trace.
/// </summary>
public static class TorchRuntime
{
    private static readonly Lazy<string?> s_failure = new(Probe, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Throws <see cref="TorchRuntimeUnavailableException"/> when libtorch cannot run here.</summary>
    public static void EnsureLoaded()
    {
        if (s_failure.Value is { } why)
            throw new TorchRuntimeUnavailableException(why);
    }

    private static string? Probe()
    {
        // Load the two libraries ourselves first: dlopen's own error names the real cause.
        foreach (var name in new[] { "libtorch_cpu.so", "libLibTorchSharp.so" })
        {
            string? path = new[] { AppContext.BaseDirectory, Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native") }
                .Select(dir => Path.Combine(dir, name))
                .FirstOrDefault(File.Exists);
            if (path is null || !OperatingSystem.IsLinux())
                continue; // other layouts and platforms: let TorchSharp's own probing below decide
            try
            {
                NativeLibrary.Load(path);
            }
            catch (DllNotFoundException e)
            {
                return Explain(path, e.Message);
            }
        }

        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
            using var probe = torch.ones(1);
            return null;
        }
        catch (Exception e)
        {
            return Explain("TorchSharp", e.Message.Split('\n')[0]);
        }
    }

    private static string Explain(string what, string error)
    {
        string hint = error.Contains("GLIBCXX", StringComparison.Ordinal)
            ? "The system libstdc++ is older than TorchSharp 0.107.0 needs (GCC 13). The build fixes this in its output " +
              "automatically (docs/torchsharp-notes.md, 'TorchSharp on Debian 12 / Ubuntu 22.04'): rebuild with `dotnet build` rather than " +
              "copying binaries from another machine, or install a libstdc++ from GCC 13 or later."
            : "Check that the build output holds libtorch (package libtorch-cpu-linux-x64) and that this is a linux-x64 machine.";
        return $"libtorch could not be loaded from {what}:\n  {error}\n{hint}";
    }
}
