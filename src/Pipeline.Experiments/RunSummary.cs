namespace Pipeline.Experiments;

/// <summary>A finished run's summary.json.</summary>
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
