using System.Text.Json.Serialization;

namespace Pipeline.Evaluation.History;

/// <summary>One model's evaluation as the history keeps it. Accuracies are fractions (0..1).</summary>
public sealed record HistoryRecord
{
    public long Id { get; init; }
    public required string RunId { get; init; }
    public required DateTimeOffset TimestampUtc { get; init; }
    public required string ModelName { get; init; }
    public required string ModelPath { get; init; }
    public required string ModelSha256 { get; init; }
    public required string DatasetFingerprint { get; init; }
    public required string ExamplesFingerprint { get; init; }
    public required int Examples { get; init; }
    public required string Device { get; init; }
    public required string ProjectVersion { get; init; }
    public required double Top1 { get; init; }
    public required double Top5 { get; init; }
    public required double MacroAccuracy { get; init; }
    public required double LogLoss { get; init; }
    public required double LogLossReduction { get; init; }
    public required double ImagesPerSecond { get; init; }
    public required double WallSeconds { get; init; }

    public static HistoryRecord From(EvaluationRun run, ModelEvaluation m, DateTimeOffset timestampUtc) => new()
    {
        RunId = run.RunId,
        TimestampUtc = timestampUtc,
        ModelName = m.ModelName,
        ModelPath = m.ModelPath,
        ModelSha256 = m.ModelSha256,
        DatasetFingerprint = run.DatasetFingerprint,
        ExamplesFingerprint = run.ExamplesFingerprint,
        Examples = run.Examples,
        Device = m.Device,
        ProjectVersion = run.ProjectVersion,
        Top1 = m.Metrics.Top1,
        Top5 = m.Metrics.Top5,
        MacroAccuracy = m.Metrics.MacroAccuracy,
        LogLoss = m.Metrics.LogLoss,
        LogLossReduction = m.Metrics.LogLossReduction,
        ImagesPerSecond = m.ImagesPerSecond,
        WallSeconds = m.WallSeconds,
    };
}

/// <summary>
/// A model's new record next to its baseline (same model name, same examples): the record pinned for it, else its
/// best record (<see cref="EvaluationHistory"/>). A regression is a top-1 drop below the baseline of more than the threshold.
/// </summary>
/// <param name="Baseline">The record compared with; null for a model's first record. Kept as "previous" in report.json,
/// where reports written before baselines hold the previous record.</param>
/// <param name="BaselineKind"><see cref="PinnedBaseline"/>, <see cref="BestBaseline"/>, or <see cref="PreviousRecord"/> in older reports.</param>
public sealed record ModelComparison(
    HistoryRecord Current,
    [property: JsonPropertyName("previous")] HistoryRecord? Baseline,
    double ThresholdPp,
    string BaselineKind = ModelComparison.PreviousRecord)
{
    public const string PinnedBaseline = "pinned";
    public const string BestBaseline = "best";
    public const string PreviousRecord = "previous";

    /// <summary>Current minus baseline top-1, in percentage points; null for a model's first record.</summary>
    public double? Top1DeltaPp => Baseline is null ? null : (Current.Top1 - Baseline.Top1) * 100;

    public bool IsRegression => Top1DeltaPp is double d && -d > ThresholdPp;

    /// <summary>The file changed since the baseline (retrained or re-exported), as opposed to the evaluation changing.</summary>
    public bool ModelChanged => Baseline is not null && Baseline.ModelSha256 != Current.ModelSha256;
}
