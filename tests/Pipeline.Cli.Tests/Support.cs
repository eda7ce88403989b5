using Pipeline.Evaluation.Tests.Fixtures;

namespace Pipeline.Cli.Tests;

/// <summary>What one run of the tool printed and returned.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>The non-empty lines of stderr: where the tool writes its errors, one line each.</summary>
    public string[] ErrorLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Everything printed, stdout then stderr.</summary>
    public string Output => Stdout + Stderr;

    public void Deconstruct(out int exitCode, out string output) => (exitCode, output) = (ExitCode, Output);

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>
/// A temporary folder with a small copy of Imagenette (the shared copy's first images of each class), the tool run
/// in it as a separate process (the built pipeline.dll, as a user or a scheduler runs it), and its decoded cache kept
/// inside it.
/// </summary>
public sealed class CliSandbox : IDisposable
{
    public string Folder { get; } = Directory.CreateTempSubdirectory("pipeline-cli-tests-").FullName;
    public string Data => Path.Combine(Folder, "data");

    public CliSandbox(int trainPerClass = 2, int valPerClass = 2)
    {
        var copied = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (split, perClass) in new[] { ("train", trainPerClass), ("val", valPerClass) })
        {
            foreach (string wnid in Imagenette.Wnids)
            {
                string target = Directory.CreateDirectory(Path.Combine(Data, split, wnid)).FullName;
                foreach (string file in Directory.GetFiles(Path.Combine(Imagenette.Root, split, wnid)).Order(StringComparer.Ordinal).Take(perClass))
                {
                    File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
                    copied.Add($"{split}/{wnid}/{Path.GetFileName(file)}");
                }
            }
        }
        // The official CSV's rows of the copied files: what makes the folder an Imagenette copy (its class names, its warnings).
        var csv = File.ReadLines(Path.Combine(Imagenette.Root, "noisy_imagenette.csv")).ToList();
        File.WriteAllLines(Path.Combine(Data, "noisy_imagenette.csv"), [csv[0], .. csv.Skip(1).Where(line => copied.Contains(line[..line.IndexOf(',')]))]);
    }

    public string Path_(string relative) => Path.Combine(Folder, relative);

    /// <summary>The first image of a split and class in the copy.</summary>
    public string FirstImage(string split, string wnid) =>
        Directory.GetFiles(Path.Combine(Data, split, wnid)).Order(StringComparer.Ordinal).First();

    /// <summary>Runs <c>pipeline args…</c> in the sandbox, on its data copy and cache, and waits for it (two minutes at most).</summary>
    public CliResult Run(params string[] args)
    {
        using var process = PipelineProcess.Start(Folder, new Dictionary<string, string>
        {
            ["PIPELINE_CACHE"] = Path.Combine(Folder, "cache"),
            ["PIPELINE_DATA"] = Data,
        }, args);
        return process.Wait(TimeSpan.FromMinutes(2));
    }

    public void Dispose()
    {
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { }
    }
}
