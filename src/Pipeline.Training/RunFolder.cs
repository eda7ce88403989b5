using System.Text.Json;

namespace Pipeline.Training;

/// <summary>
/// The files of one run: <c>config.json</c> (the resolved run definition), <c>metrics.jsonl</c> (one line per epoch),
/// <c>dynamics.jsonl</c> (residual branches and gradients at a few points of training),
/// <c>checkpoint.bin</c> (last finished epoch, for resume), <c>model.bin</c> (final weights),
/// <c>summary.json</c> and <c>summary.md</c> (written when the run finishes).
/// </summary>
public sealed class RunFolder(string path)
{
    public string Path { get; } = System.IO.Path.GetFullPath(path);
    public string SpecFile => Combine("config.json");
    public string MetricsFile => Combine("metrics.jsonl");
    public string DynamicsFile => Combine("dynamics.jsonl");
    public string CheckpointFile => Combine("checkpoint.bin");
    public string ModelFile => Combine("model.bin");
    public string SummaryJson => Combine("summary.json");
    public string SummaryMarkdown => Combine("summary.md");

    public bool IsFinished => File.Exists(SummaryJson) && File.Exists(ModelFile);

    private string Combine(string file) => System.IO.Path.Combine(Path, file);

    public IReadOnlyList<EpochMetrics> ReadMetrics() => File.Exists(MetricsFile)
        ? File.ReadLines(MetricsFile).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<EpochMetrics>(l)!).ToList()
        : [];

    public IReadOnlyList<DynamicsRecord> ReadDynamics() => File.Exists(DynamicsFile)
        ? File.ReadLines(DynamicsFile).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<DynamicsRecord>(l)!).ToList()
        : [];

    public RunSpec ReadSpec() => RunSpec.Load(SpecFile);

    public RunSummary ReadSummary() => JsonSerializer.Deserialize<RunSummary>(File.ReadAllText(SummaryJson), RunSpec.Json)
        ?? throw new InvalidDataException($"{SummaryJson}: empty summary.");

    /// <summary>
    /// Writes a whole file atomically: a reader sees the old file or the new one, never half.
    /// <paramref name="write"/> must leave the stream open.
    /// </summary>
    public static void WriteAtomically(string path, Action<Stream> write)
    {
        string temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            write(stream);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>One JSON object per line (metrics.jsonl, dynamics.jsonl), written atomically.</summary>
    public static void WriteJsonLines<T>(string path, IEnumerable<T> records) =>
        WriteAtomically(path, string.Concat(records.Select(r => JsonSerializer.Serialize(r, JsonLines) + "\n")));

    /// <summary>Keys as the records name them; text as written ("0.1.0+a5452d4", not "0.1.0\u002Ba5452d4").</summary>
    private static readonly JsonSerializerOptions JsonLines = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void WriteAtomically(string path, string text) =>
        WriteAtomically(path, s =>
        {
            using var writer = new StreamWriter(s, leaveOpen: true);
            writer.Write(text);
        });

    /// <summary>Saves a module's weights (TorchSharp format) atomically.</summary>
    public static void SaveWeights(string path, TorchSharp.torch.nn.Module module) =>
        WriteAtomically(path, s =>
        {
            using var writer = new BinaryWriter(s, System.Text.Encoding.UTF8, leaveOpen: true);
            MemoryFormat.WithContiguousTensors(module, null, () => module.save(writer));
        });
}

/// <summary>What a finished run reports.</summary>
public sealed record RunSummary(
    string Name,
    int Epochs,
    double FinalValTop1,
    double FinalValTop5,
    double BestValTop1,
    double WallSeconds,
    double MeanTrainImagesPerSecond,
    string DatasetFingerprint,
    string ModelSha256)
{
    /// <summary>Training time alone (the optimizer steps and the loader), the rest of <see cref="WallSeconds"/> being validation, probes and checkpoints.</summary>
    public double TrainSeconds { get; init; }
    public string Version { get; init; } = "";
}
