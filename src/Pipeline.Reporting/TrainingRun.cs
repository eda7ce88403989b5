using System.Globalization;
using System.Text.Json;
using Pipeline.Inference;

namespace Pipeline.Reporting;

/// <summary>One line of a run's <c>metrics.jsonl</c> (accuracies as fractions; NaN when absent).</summary>
public sealed record EpochMetrics(int Epoch, double TrainLoss, double ValLoss, double ValTop1, double ValTop5, double LearningRate, double WallSeconds, double ImagesPerSecond);

/// <summary>
/// A training run folder as the trainer leaves it: <c>metrics.jsonl</c> (one JSON object per epoch)
/// and <c>config.json</c>. Reports draw its learning curves and quote its preprocessing settings.
/// </summary>
public sealed record TrainingRun(string Folder, IReadOnlyList<EpochMetrics> Epochs, IReadOnlyDictionary<string, string> Config)
{
    public const string MetricsFile = "metrics.jsonl";
    public const string ConfigFile = "config.json";

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
        if (!File.Exists(Path.Combine(folder, MetricsFile)))
            return (null, $"training run folder '{folder}' has no {MetricsFile}: no learning curves");
        var run = Load(folder);
        return (run, $"training run '{folder}', {run.Epochs.Count} epoch(s)");
    }

    /// <exception cref="InvalidDataException">A line of metrics.jsonl is not a JSON object with an epoch.</exception>
    public static TrainingRun Load(string folder)
    {
        var epochs = new List<EpochMetrics>();
        int lineNumber = 0;
        foreach (string line in File.ReadLines(Path.Combine(folder, MetricsFile)))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
                continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var o = doc.RootElement;
                double D(string name) => o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : double.NaN;
                epochs.Add(new EpochMetrics(o.GetProperty("epoch").GetInt32(), D("train_loss"), D("val_loss"), D("val_top1"), D("val_top5"), D("lr"), D("wall_s"), D("images_per_s")));
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new InvalidDataException($"{Path.Combine(folder, MetricsFile)}:{lineNumber}: not an epoch record ({ex.Message}).", ex);
            }
        }
        return new TrainingRun(Path.GetFullPath(folder), epochs.OrderBy(e => e.Epoch).ToArray(), ReadConfig(folder));
    }

    /// <summary>config.json flattened to "a.b" → text, for quoting settings in reports.</summary>
    private static IReadOnlyDictionary<string, string> ReadConfig(string folder)
    {
        var config = new SortedDictionary<string, string>(StringComparer.Ordinal);
        string path = Path.Combine(folder, ConfigFile);
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

    public double FinalValTop1 => Epochs.Count == 0 ? double.NaN : Epochs[^1].ValTop1;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Name} ({Epochs.Count} epochs)");
}
