using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Pipeline.Evaluation;
using Pipeline.Evaluation.History;
using Pipeline.Experiments;
using Pipeline.Inference;

namespace Pipeline.Reporting;

/// <summary>
/// The layout of <c>report.json</c> (<see cref="ReportWriter.JsonSchema"/>): one record per JSON object, so the
/// same graph is written by <see cref="ReportWriter.ToJson"/> and read back by <see cref="ReportReader"/>, and the
/// Markdown and HTML can be rendered again from the file alone. Leaves that are plain data already (model
/// metadata, metrics, agreement, history records, epochs) are the domain records themselves: changing one of
/// them changes the file's layout; bump <see cref="ReportWriter.JsonSchema"/> when older files would no longer read.
/// </summary>
/// <remarks>The history's records come last: a scheduled job's history grows by a record per model and night.</remarks>
internal sealed record ReportDocument(string Schema, IReadOnlyList<string> Answer, RunSection Run, IReadOnlyList<ModelSection> Models, HistorySection History)
{
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        // People read the file: "ResizeImages(72×72…) → ExtractPixels", not "\u00D7" and "\u2192". It is never inlined into HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        // NaN stands for "undefined" (precision of a class never predicted, a trainer top-1 nobody recorded).
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        // A file that lacks a field, or has null where a value belongs, is refused rather than read as zeros.
        RespectRequiredConstructorParameters = true,
        RespectNullableAnnotations = true,
        Converters = { new ConfusionMatrixConverter() },
    };

    public static ReportDocument From(EvaluationReport report) => new(
        ReportWriter.JsonSchema,
        report.Answer,
        RunSection.From(report.Run),
        report.Models.Select(ModelSection.From).ToArray(),
        new HistorySection(report.HistoryPath, report.RegressionThresholdPp, report.History));

    public EvaluationReport ToReport()
    {
        var models = Models.Select(m => m.ToModelReport()).ToArray();
        return new EvaluationReport
        {
            Run = Run.ToRun(models.Select(m => m.Evaluation).ToArray()),
            Models = models,
            HistoryPath = History.Path,
            RegressionThresholdPp = History.RegressionThresholdPp,
            History = History.Records,
            Answer = Answer,
        };
    }
}

/// <summary>One evaluation run: when, on which examples, by which version of the project.</summary>
internal sealed record RunSection(string RunId, DateTimeOffset StartedUtc, ExampleSetSection Set, string ProjectVersion)
{
    public static RunSection From(EvaluationRun run) => new(
        run.RunId, run.StartedUtc, new ExampleSetSection(run.SetName, run.Examples, run.ExamplesFingerprint, run.DatasetFingerprint, run.DataWarnings), run.ProjectVersion);

    public EvaluationRun ToRun(IReadOnlyList<ModelEvaluation> models) => new()
    {
        RunId = RunId,
        StartedUtc = StartedUtc,
        SetName = Set.Name,
        Examples = Set.Examples,
        ExamplesFingerprint = Set.ExamplesFingerprint,
        DatasetFingerprint = Set.DatasetFingerprint,
        ProjectVersion = ProjectVersion,
        Models = models,
        DataWarnings = Set.Warnings ?? [],
    };
}

/// <param name="Warnings">What the dataset index warned about these examples' dataset (absent in reports written before it was recorded).</param>
internal sealed record ExampleSetSection(string Name, int Examples, string ExamplesFingerprint, string DatasetFingerprint, IReadOnlyList<string>? Warnings = null);

/// <summary>The history the run appended to (null path: none kept), the regression threshold, and its records on these examples (the trend plot).</summary>
internal sealed record HistorySection(string? Path, double RegressionThresholdPp, IReadOnlyList<HistoryRecord> Records);

/// <summary>
/// One model's section. The comparison is written whole (its current and baseline history records, then the derived
/// delta, regression and model-changed flags for readers, which reading skips: they follow from the records).
/// </summary>
internal sealed record ModelSection(
    string Name,
    string Path,
    string Sha256,
    string Device,
    string Preprocessing,
    bool MetadataFromFile,
    ModelMetadata Metadata,
    ClassificationMetrics Metrics,
    SpeedSection Speed,
    AgreementCheck? Agreement,
    ModelComparison? Comparison,
    TrainingRunSection? TrainingRun,
    string TrainingRunNote)
{
    public static ModelSection From(ModelReport r)
    {
        var m = r.Evaluation;
        return new ModelSection(m.ModelName, m.ModelPath, m.ModelSha256, m.Device, m.Preprocessing, m.MetadataFromFile, m.Metadata, m.Metrics,
            new SpeedSection(m.ImagesPerSecond, m.ScoringSeconds, m.WallSeconds),
            r.Agreement, r.Comparison, r.TrainingRun is { } run ? new TrainingRunSection(run.Folder, run.Config, run.Epochs, run.Dynamics) : null, r.TrainingRunNote);
    }

    /// <remarks>
    /// The evaluator's own agreement check (<see cref="ModelEvaluation.Agreement"/>) is not kept: the report's
    /// (<see cref="ModelReport.Agreement"/>, which also knows the training run) is the one the writers show.
    /// </remarks>
    public ModelReport ToModelReport() => new()
    {
        Evaluation = new ModelEvaluation
        {
            ModelName = Name,
            ModelPath = Path,
            ModelSha256 = Sha256,
            Metadata = Metadata,
            MetadataFromFile = MetadataFromFile,
            Device = Device,
            Preprocessing = Preprocessing,
            Metrics = Metrics,
            ImagesPerSecond = Speed.ImagesPerSecond,
            ScoringSeconds = Speed.ScoringSeconds,
            WallSeconds = Speed.WallSeconds,
        },
        Comparison = Comparison,
        TrainingRun = TrainingRun is { } run ? new TrainingRun(run.Folder, run.Epochs, run.Config) { Dynamics = run.Dynamics } : null,
        TrainingRunNote = TrainingRunNote,
        Agreement = Agreement,
    };
}

/// <summary>Images through the whole pipeline per second of scoring; the scoring pass; inspecting, loading and scoring.</summary>
internal sealed record SpeedSection(double ImagesPerSecond, double ScoringSeconds, double WallSeconds);

/// <summary>The training run as the report read it: its config.json flattened, and metrics.jsonl one epoch per entry.</summary>
internal sealed record TrainingRunSection(string Folder, IReadOnlyDictionary<string, string> Config, IReadOnlyList<EpochMetrics> Epochs, IReadOnlyList<DynamicsRecord> Dynamics);

/// <summary>
/// The confusion matrix one row per line (<c>[12, 0, 3, …]</c>) instead of one count per line: a 10-class matrix is
/// 12 lines a person can read as a table, not 120. Read back as any JSON array of arrays.
/// </summary>
internal sealed class ConfusionMatrixConverter : JsonConverter<IReadOnlyList<IReadOnlyList<long>>>
{
    public override IReadOnlyList<IReadOnlyList<long>> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        JsonSerializer.Deserialize<long[][]>(ref reader, options) ?? throw new JsonException("the confusion matrix is null.");

    public override void Write(Utf8JsonWriter writer, IReadOnlyList<IReadOnlyList<long>> rows, JsonSerializerOptions options)
    {
        if (!options.WriteIndented || rows.Count == 0)
        {
            JsonSerializer.Serialize(writer, rows.Select(r => r.ToArray()).ToArray(), options);
            return;
        }
        // The writer indents what it writes itself, not a raw value: indent the rows and the closing bracket here.
        string closing = new(options.IndentCharacter, writer.CurrentDepth * options.IndentSize);
        string row = closing + new string(options.IndentCharacter, options.IndentSize);
        writer.WriteRawValue("[" + options.NewLine +
                             string.Join("," + options.NewLine, rows.Select(r => row + "[" + string.Join(", ", r) + "]")) +
                             options.NewLine + closing + "]");
    }
}
