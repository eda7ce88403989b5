using System.Diagnostics;
using Pipeline.Data;
using Pipeline.Testing;

namespace Pipeline.Cli.Tests;

/// <summary>The built `pipeline` tool run as a child process, as a sweep worker runs it.</summary>
public sealed class PipelineProcess : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stdout;
    private readonly Task<string> _stderr;

    private PipelineProcess(Process process)
    {
        _process = process;
        _stdout = process.StandardOutput.ReadToEndAsync();
        _stderr = process.StandardError.ReadToEndAsync();
    }

    /// <summary>pipeline.dll of src/Pipeline.Cli built in the configuration these tests were built in (the solution build makes both).</summary>
    public static string Tool
    {
        get
        {
            string configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
            string path = Path.GetFullPath(Path.Combine(Repository, "src", "Pipeline.Cli", "bin", configuration, "net10.0", "pipeline.dll"));
            return File.Exists(path) ? path : throw new FileNotFoundException($"{path}: build src/Pipeline.Cli ({configuration}) first; the test command builds the whole solution.");
        }
    }

    public static string Repository => TestRepository.Root;

    /// <summary>The Imagenette copy the tests read (../shared/data/imagenette-224 beside the clone, or $PIPELINE_DATA).</summary>
    public static string Dataset { get; } = ImageFolderDataset.FindDefaultRoot() ?? throw new DirectoryNotFoundException("Imagenette not found: set PIPELINE_DATA.");

    public static PipelineProcess Start(string workingDirectory, params string[] arguments) => Start(workingDirectory, null, arguments);

    /// <param name="environment">Variables to set (the dataset defaults to the shared copy).</param>
    public static PipelineProcess Start(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add(Tool);
        foreach (string a in arguments)
            info.ArgumentList.Add(a);
        info.Environment[ImageFolderDataset.RootVariable] = Dataset;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            info.Environment[name] = value;
        return new PipelineProcess(Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start"));
    }

    public int Id => _process.Id;

    /// <summary>Waits for the exit; returns the exit code and what the process printed.</summary>
    public CliResult Wait(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"pipeline did not finish within {timeout}: {_stdout.Result}{_stderr.Result}");
        }
        return new CliResult(_process.ExitCode, _stdout.Result, _stderr.Result);
    }

    /// <summary>SIGKILL: no cleanup of any kind, as when a node or pod dies.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public static CliResult Run(string workingDirectory, params string[] arguments)
    {
        using var process = Start(workingDirectory, arguments);
        return process.Wait(TimeSpan.FromMinutes(10));
    }

    public void Dispose()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
