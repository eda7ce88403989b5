using Pipeline.Inference;

namespace Pipeline.Evaluation;

/// <summary>One model scored on one <see cref="EvaluationSet"/>.</summary>
public sealed record ModelEvaluation
{
    public required string ModelName { get; init; }
    public required string ModelPath { get; init; }
    public required string ModelSha256 { get; init; }
    public required ModelMetadata Metadata { get; init; }
    public required bool MetadataFromFile { get; init; }
    /// <summary>The device that ran the model ("CUDA:0", "CPU (CUDA provider unavailable: …)").</summary>
    public required string Device { get; init; }
    /// <summary>The preprocessing the pipeline applied, in words, for reports and the agreement check.</summary>
    public required string Preprocessing { get; init; }
    public required ClassificationMetrics Metrics { get; init; }
    /// <summary>Images through the whole pipeline (decode, resize, model) per second of the scoring pass.</summary>
    public required double ImagesPerSecond { get; init; }
    /// <summary>The scoring pass alone.</summary>
    public required double ScoringSeconds { get; init; }
    /// <summary>Inspecting, loading and scoring the model.</summary>
    public required double WallSeconds { get; init; }
    /// <summary>ML.NET's top-1 next to the trainer's; null when the model does not say what the trainer measured.</summary>
    public AgreementCheck? Agreement { get; init; }

    /// <summary>Whether the top-1 is clearly above guessing (derived from the metrics, so never out of step with them).</summary>
    public ChanceCheck Chance => ChanceCheck.Of(Metrics);
}

/// <summary>ML.NET's top-1 next to the trainer's val top-1 from the model's metadata.</summary>
public sealed record AgreementCheck(double TrainerTop1, double MlNetTop1, double GapPp, bool Flagged, string Note)
{
    /// <summary>ML.NET's resize, where the trainer's pixels could part from the evaluation's.</summary>
    public const string MlNetResizePath =
        "ML.NET decodes with SkiaSharp 2.88 (SKBitmap.Decode, greyscale expanded to BGRA) and ResizeImages(IsoCrop) draws the " +
        "whole image onto the W×H canvas, short side filling it, centre-anchored with truncated offsets, with " +
        "SKCanvas.DrawBitmap(FilterQuality.High); the graph then centre-crops C at floor((W−C)/2)";

    public static AgreementCheck? Create(ModelMetadata metadata, double mlNetTop1, EvaluationSet set, double tolerancePp) =>
        Create(metadata, mlNetTop1, set.Name, set.Examples.Count, set.DatasetFingerprint, tolerancePp);

    /// <param name="trainerSettings">The trainer's preprocessing settings (from its run's config.json), quoted when the check flags a gap.</param>
    public static AgreementCheck? Create(ModelMetadata metadata, double mlNetTop1, string setName, int examples, string datasetFingerprint,
        double tolerancePp, IReadOnlyDictionary<string, string>? trainerSettings = null)
    {
        if (double.IsNaN(metadata.ValTop1))
            return null;
        double gapPp = (mlNetTop1 - metadata.ValTop1) * 100;
        bool flagged = Math.Abs(gapPp) > tolerancePp;
        if (!flagged)
            return new AgreementCheck(metadata.ValTop1, mlNetTop1, gapPp, false, $"Agrees within {NumberText.Fixed(tolerancePp, "0.#")} pp.");

        int w = metadata.InputWidth, c = metadata.CropSize;
        var causes = new List<string>();
        if (metadata.DatasetFingerprint.Length > 0 && datasetFingerprint.Length > 0 && metadata.DatasetFingerprint != datasetFingerprint)
            causes.Add("the model was validated on another dataset (its dataset fingerprint differs from this run's)");
        causes.Add($"different images: this run scored {examples} images of '{setName}'; unless that is the trainer's whole val split, the two top-1s are of different images");
        string trainer = trainerSettings is { Count: > 0 }
            ? " The trainer's run says: " + string.Join(", ", trainerSettings.Select(kv => $"{kv.Key}={kv.Value}")) + "."
            : "";
        causes.Add(
            $"a different resize path: {MlNetResizePath.Replace("W×H", $"{w}×{metadata.InputHeight}").Replace("C at floor((W−C)/2)", $"{c} at {(w - c) / 2}")}. " +
            $"Pipeline.Data's val cache makes the same SkiaSharp calls and matches these pixels exactly when its short side is {w} " +
            $"(its MlNetParityTests); a trainer that validated on a cache at another short side, with another crop than {c}, or with " +
            $"its bilinear training resampler instead, saw different pixels.{trainer}");
        string note = $"ML.NET top-1 differs from the trainer's by {NumberText.Signed(gapPp, "0.0")} pp (tolerance {NumberText.Fixed(tolerancePp, "0.#")} pp). Check, in this order: " +
                      string.Join("; ", causes) + ".";
        return new AgreementCheck(metadata.ValTop1, mlNetTop1, gapPp, true, note);
    }
}
