using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Pipeline.Experiments;

/// <summary>
/// The one owner of a training run's folder: where each file is, and the only reader and writer of the text ones.
/// <list type="bullet">
/// <item><c>config.json</c>: the resolved run definition (<see cref="RunSpec"/>, precision decided).</item>
/// <item><c>metrics.jsonl</c>: one <see cref="EpochMetrics"/> per line.</item>
/// <item><c>dynamics.jsonl</c>: one <see cref="DynamicsRecord"/> per line: the residual branches at init, in epoch 1 and after each epoch.</item>
/// <item><c>summary.json</c> and <c>summary.md</c>: written when the run finishes (<see cref="RunSummary"/>).</item>
/// <item><c>evaluation.json</c>: the exported model's ML.NET score, when an experiment evaluates each run (<see cref="RunEvaluation"/>).</item>
/// <item><c>checkpoint.bin</c> (last finished epoch, for resume) and <c>model.bin</c> (final weights): binary, written by the trainer.</item>
/// </list>
/// A published record (<see cref="PublishTo"/>) is a run folder of the text files alone.
/// </summary>
public sealed class RunFolder(string path)
{
    /// <summary>The files of a published record: everything but the checkpoint and the weights.</summary>
    public static readonly IReadOnlyList<string> RecordFiles = ["config.json", "metrics.jsonl", "dynamics.jsonl", "summary.json", "summary.md", "evaluation.json", "diverged.json"];

    public string Path { get; } = System.IO.Path.GetFullPath(path);
    public string Name => System.IO.Path.GetFileName(Path);
    public string SpecFile => Combine("config.json");
    public string MetricsFile => Combine("metrics.jsonl");
    public string DynamicsFile => Combine("dynamics.jsonl");
    public string CheckpointFile => Combine("checkpoint.bin");
    public string ModelFile => Combine("model.bin");
    public string SummaryJson => Combine("summary.json");
    public string SummaryMarkdown => Combine("summary.md");
    public string EvaluationFile => Combine("evaluation.json");
    public string DivergenceFile => Combine("diverged.json");

    /// <summary>The run finished training (its summary is written); its weights may have stayed behind (a published record).</summary>
    public bool HasSummary => File.Exists(SummaryJson);

    /// <summary>The run stopped when a loss became non-finite (<see cref="RunDivergence"/>): a result, not trained again.</summary>
    public bool HasDiverged => File.Exists(DivergenceFile);

    /// <summary>Finished, with its final weights here: ready to export.</summary>
    public bool IsFinished => HasSummary && File.Exists(ModelFile);

    private string Combine(string file) => System.IO.Path.Combine(Path, file);

    /// <summary>Keys as the records name them; text as written ("0.1.0+a5452d4", not "0.1.0\u002Ba5452d4").</summary>
    private static readonly JsonSerializerOptions JsonLines = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly JsonSerializerOptions Indented = new(JsonLines) { WriteIndented = true };

    public RunSpec ReadSpec() => RunSpec.Load(SpecFile);

    public void WriteSpec(RunSpec spec) => AtomicFile.WriteText(SpecFile, spec.ToJson());

    /// <exception cref="InvalidDataException">A line is not an epoch record; the message names the file and line.</exception>
    public IReadOnlyList<EpochMetrics> ReadMetrics() => ReadLines<EpochMetrics>(MetricsFile);

    /// <exception cref="InvalidDataException">A line is not a dynamics record; the message names the file and line.</exception>
    public IReadOnlyList<DynamicsRecord> ReadDynamics() => ReadLines<DynamicsRecord>(DynamicsFile);

    /// <summary>The epochs and dynamics so far, each file replaced whole (after the checkpoint that implies them).</summary>
    public void WriteProgress(IEnumerable<EpochMetrics> history, IEnumerable<DynamicsRecord> dynamics)
    {
        WriteLines(MetricsFile, history);
        WriteLines(DynamicsFile, dynamics);
    }

    public RunSummary ReadSummary() => ReadJson<RunSummary>(SummaryJson, RunSpec.Json);

    /// <summary>summary.json, and summary.md for people: the run in one paragraph and its epochs in a table.</summary>
    public void WriteSummary(RunSpec spec, RunSummary summary, IReadOnlyList<EpochMetrics> history)
    {
        AtomicFile.WriteText(SummaryMarkdown, SummaryText(spec, summary, history));
        AtomicFile.WriteText(SummaryJson, JsonSerializer.Serialize(summary, RunSpec.Json));
    }

    /// <summary>evaluation.json, or null when the run was not scored on its own.</summary>
    public RunEvaluation? ReadEvaluation() => File.Exists(EvaluationFile) ? ReadJson<RunEvaluation>(EvaluationFile, JsonLines) : null;

    public void WriteEvaluation(RunEvaluation evaluation) =>
        AtomicFile.WriteText(EvaluationFile, JsonSerializer.Serialize(evaluation, Indented) + "\n");

    public RunDivergence ReadDivergence() => ReadJson<RunDivergence>(DivergenceFile, RunSpec.Json);

    public void WriteDivergence(RunDivergence divergence) =>
        AtomicFile.WriteText(DivergenceFile, JsonSerializer.Serialize(divergence, RunSpec.Json) + "\n");

    /// <summary>Copies the record files there are to <paramref name="resultsRoot"/>/runs/&lt;run&gt;/, each atomically; returns that record.</summary>
    public RunFolder PublishTo(string resultsRoot)
    {
        var target = PublishedIn(resultsRoot, Name);
        foreach (string file in RecordFiles.Where(f => File.Exists(Combine(f))))
            AtomicFile.WriteBytes(System.IO.Path.Combine(target.Path, file), File.ReadAllBytes(Combine(file)));
        return target;
    }

    /// <summary>The published record of run <paramref name="name"/> under <paramref name="resultsRoot"/> (it may not exist yet).</summary>
    /// <summary>The folder a run trains in: &lt;runs root&gt;/&lt;run name&gt;, the one rule every part follows.</summary>
    public static RunFolder For(string runsRoot, RunSpec spec) => new(System.IO.Path.Combine(runsRoot, spec.Name));

    public static RunFolder PublishedIn(string resultsRoot, string name) => new(System.IO.Path.Combine(resultsRoot, "runs", name));

    private static IReadOnlyList<T> ReadLines<T>(string path)
    {
        if (!File.Exists(path))
            return [];
        var records = new List<T>();
        int number = 0;
        foreach (string line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
                continue;
            try
            {
                records.Add(JsonSerializer.Deserialize<T>(line, JsonLines) ?? throw new JsonException("null"));
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path}:{number}: not a {typeof(T).Name} line ({e.Message}). The run folder is damaged: train the run again.", e);
            }
        }
        return records;
    }

    private static void WriteLines<T>(string path, IEnumerable<T> records) =>
        AtomicFile.WriteText(path, string.Concat(records.Select(r => JsonSerializer.Serialize(r, JsonLines) + "\n")));

    private static T ReadJson<T>(string path, JsonSerializerOptions options)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(path), options) ?? throw new JsonException("the file holds null");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a valid {typeof(T).Name} ({e.Message}). The run folder is damaged: train the run again.", e);
        }
    }

    private static string SummaryText(RunSpec spec, RunSummary summary, IReadOnlyList<EpochMetrics> history)
    {
        var c = CultureInfo.InvariantCulture;
        var lines = new List<string>
        {
            $"# Run {spec.Name}",
            "",
            $"{spec.Arch}, {spec.Flavour} flavour, zero-init last BN γ: {spec.EffectiveZeroInitLast}, {spec.Head} head; " +
            $"recipe {spec.Recipe.Name}, {spec.ImageSize} px, {spec.Epochs} epochs, seed {spec.Seed}, {spec.Precision.Name()}, channels-last {spec.ChannelsLast}.",
            "",
            string.Create(c, $"Final val top-1 **{summary.FinalValTop1:P2}** (top-5 {summary.FinalValTop5:P2}), ") +
            string.Create(c, $"{summary.WallSeconds / 60:F1} min ({summary.TrainSeconds / summary.WallSeconds:P0} of it training), {summary.MeanTrainImagesPerSecond:F1} train images/s; project {summary.Version}."),
            "",
            "| epoch | train loss | val loss | val top-1 | val top-5 | lr (end) | wall s | train s | val s | probe s | checkpoint s | img/s | peak RSS MiB | heap RSS MiB | live tensors |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        };
        lines.AddRange(history.Select(h => string.Create(c,
            $"| {h.Epoch} | {h.TrainLoss:F4} | {h.ValLoss:F4} | {h.ValTop1:P2} | {h.ValTop5:P2} | {h.LearningRate:G3} | {h.WallSeconds:F0} | {h.TrainSeconds:F0} | {h.ValSeconds:F1} | {h.ProbeSeconds:F2} | {h.CheckpointSeconds:F2} | {h.TrainImagesPerSecond:F1} | {h.PeakRssMiB:F0} | {h.AnonRssMiB:F0} | {h.LiveTensors} |")));
        return string.Join("\n", lines) + "\n";
    }
}
