using System.Globalization;
using System.Text.Json;
using Pipeline.Experiments;
using Pipeline.Inference;

namespace Pipeline.Reporting;

/// <summary>
/// A training run as a report shows it, read through <see cref="RunFolder"/>: its epochs (the learning curves) and its
/// config.json flattened (the preprocessing settings the agreement check quotes).
/// </summary>
public sealed record TrainingRun(string Folder, IReadOnlyList<EpochMetrics> Epochs, IReadOnlyDictionary<string, string> Config)
{
    /// <summary>The residual branches at the run's measurement points (dynamics.jsonl; empty for runs that predate it).</summary>
    public IReadOnlyList<DynamicsRecord> Dynamics { get; init; } = [];

    public string Name => Path.GetFileName(Folder.TrimEnd('/', '\\'));

    /// <summary>
    /// The run folder of a model: <paramref name="explicitFolder"/> when given, else the metadata's
    /// RunName (absolute, or under <paramref name="runsRoot"/>). Null with the reason when there is none.
    /// </summary>
    public static (TrainingRun? Run, string Note) Locate(ModelMetadata metadata, string? runsRoot, string? explicitFolder = null)
    {
        string? folder = explicitFolder;
        if (folder is null && metadata.RunName.Length > 0)
            folder = Path.IsPathRooted(metadata.RunName) || runsRoot is null ? metadata.RunName : Path.Combine(runsRoot, metadata.RunName);
        if (folder is null)
            return (null, "the model does not name its training run (pipeline.run is empty): no learning curves");
        var runFolder = new RunFolder(folder);
        if (!File.Exists(runFolder.MetricsFile))
            return (null, $"training run folder '{folder}' has no {Path.GetFileName(runFolder.MetricsFile)}: no learning curves");
        var run = Load(folder);
        return (run, $"training run '{DisplayPath.Of(run.Folder)}', {run.Epochs.Count} epoch(s)");
    }

    /// <exception cref="InvalidDataException">A line of metrics.jsonl is not an epoch record.</exception>
    public static TrainingRun Load(string folder)
    {
        var run = new RunFolder(folder);
        return new TrainingRun(run.Path, run.ReadMetrics().OrderBy(e => e.Epoch).ToArray(), ReadConfig(run.SpecFile)) { Dynamics = run.ReadDynamics() };
    }

    /// <summary>config.json flattened to "a.b" → text, for quoting settings in reports.</summary>
    private static IReadOnlyDictionary<string, string> ReadConfig(string path)
    {
        var config = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(path))
            return config;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            Flatten(doc.RootElement, "", config);
        }
        catch (JsonException)
        {
            config["(config.json)"] = "not valid JSON";
        }
        return config;
    }

    private static void Flatten(JsonElement e, string prefix, IDictionary<string, string> into)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                    Flatten(p.Value, prefix.Length == 0 ? p.Name : $"{prefix}.{p.Name}", into);
                break;
            case JsonValueKind.String:
                into[prefix] = e.GetString() ?? "";
                break;
            default:
                into[prefix] = e.GetRawText();
                break;
        }
    }

    /// <summary>Config entries about preprocessing (resize, interpolation, crop, image size): what the agreement check quotes.</summary>
    public IReadOnlyDictionary<string, string> PreprocessingSettings =>
        Config.Where(kv => new[] { "resize", "interp", "crop", "image_size", "imagesize", "input_size", "img_size", "filter" }
                .Any(k => kv.Key.Contains(k, StringComparison.OrdinalIgnoreCase)))
            .ToDictionary(kv => kv.Key, kv => kv.Value);

    public double FinalValTop1 => Epochs.Count == 0 ? double.NaN : Epochs[^1].ValTop1 ?? double.NaN;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Name} ({Epochs.Count} epochs)");
}
