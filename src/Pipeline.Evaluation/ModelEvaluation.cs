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
}

/// <summary>ML.NET's top-1 next to the trainer's val top-1 from the model's metadata.</summary>
public sealed record AgreementCheck(double TrainerTop1, double MlNetTop1, double GapPp, bool Flagged, string Note)
{
    /// <summary>Where ML.NET's pixels can differ from the trainer's, stated for every flagged gap.</summary>
    public const string MlNetResizePath =
        "ML.NET decodes with SkiaSharp 2.88 (SKBitmap.Decode) and ResizeImages(IsoCrop) draws the whole image onto a " +
        "W×H canvas scaled so its short side fills it, centre-anchored with integer-truncated offsets, using " +
        "SKCanvas.DrawBitmap with SKFilterQuality.High (mipmapped bicubic: a smoothing, antialiased downscale).";

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
        string note;
        if (!flagged)
        {
            note = $"Agrees within {tolerancePp:0.#} pp.";
        }
        else
        {
            var causes = new List<string>();
            if (metadata.DatasetFingerprint.Length > 0 && datasetFingerprint.Length > 0 && metadata.DatasetFingerprint != datasetFingerprint)
                causes.Add("the model was validated on another dataset (its dataset fingerprint differs from this run's)");
            causes.Add($"this run scored {examples} images of '{setName}'; unless that is the trainer's whole val split, the top-1s are not of the same images");
            string trainer = trainerSettings is { Count: > 0 }
                ? "The trainer's run says: " + string.Join(", ", trainerSettings.Select(kv => $"{kv.Key}={kv.Value}")) + "."
                : "The trainer resizes its val images with its own code (its run's config.json was not available to quote).";
            causes.Add("the resize code paths differ: " + MlNetResizePath + " " + trainer +
                       " A different filter (bilinear without antialiasing, nearest) or crop rounding moves accuracy by points on small images");
            note = $"ML.NET top-1 differs from the trainer's by {gapPp:+0.0;-0.0} pp (tolerance {tolerancePp:0.#} pp). Likely causes: " +
                   string.Join("; ", causes) + ".";
        }
        return new AgreementCheck(metadata.ValTop1, mlNetTop1, gapPp, flagged, note);
    }
}
