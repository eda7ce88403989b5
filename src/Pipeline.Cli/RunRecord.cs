using System.Text.Json;
using System.Text.Json.Serialization;
using Pipeline.Evaluation;
using Pipeline.Training;

namespace Pipeline.Cli;

/// <summary>A run folder's evaluation.json: its exported float model scored by the ML.NET pipeline.</summary>
public sealed record RunEvaluation(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("model_sha256")] string ModelSha256,
    [property: JsonPropertyName("set")] string Set,
    [property: JsonPropertyName("examples")] int Examples,
    [property: JsonPropertyName("examples_fingerprint")] string ExamplesFingerprint,
    [property: JsonPropertyName("top1")] double Top1,
    [property: JsonPropertyName("top5")] double Top5,
    [property: JsonPropertyName("trainer_top1")] double? TrainerTop1,
    [property: JsonPropertyName("images_per_s")] double ImagesPerSecond,
    [property: JsonPropertyName("device")] string Device,
    [property: JsonPropertyName("version")] string Version)
{
    public const string FileName = "evaluation.json";

    public static RunEvaluation From(ModelEvaluation m, EvaluationSet set) => new(
        Path.GetFileName(m.ModelPath), m.ModelSha256, set.Name, set.Examples.Count, set.ExamplesFingerprint,
        m.Metrics.Top1, m.Metrics.Top5, m.Agreement?.TrainerTop1, m.ImagesPerSecond, m.Device, ProjectVersion.Current);

    public void Write(string runFolder) =>
        RunFolder.WriteAtomically(Path.Combine(runFolder, FileName), JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
}

/// <summary>The small files of a finished run that make its published record: everything but checkpoint and weights.</summary>
public static class RunRecord
{
    public static readonly string[] Files = ["config.json", "metrics.jsonl", "dynamics.jsonl", "summary.json", "summary.md", RunEvaluation.FileName];

    public static bool IsPublished(string resultsRoot, string runName) =>
        File.Exists(Path.Combine(resultsRoot, "runs", runName, "summary.json"));

    /// <summary>Copies the run's small files to &lt;results&gt;/runs/&lt;run&gt;/, each atomically.</summary>
    public static void Publish(string runFolder, string resultsRoot)
    {
        string target = Path.Combine(resultsRoot, "runs", Path.GetFileName(runFolder.TrimEnd('/')));
        Directory.CreateDirectory(target);
        foreach (string file in Files.Where(f => File.Exists(Path.Combine(runFolder, f))))
            RunFolder.WriteAtomically(Path.Combine(target, file), File.ReadAllText(Path.Combine(runFolder, file)));
    }
}
