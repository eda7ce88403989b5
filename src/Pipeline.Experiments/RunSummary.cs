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

    /// <summary>
    /// Top-1 and mean loss over the whole train split after the last epoch, in eval mode on centre crops as val is
    /// scored: how close the run came to memorising its training set. Null in records from before it was measured.
    /// </summary>
    public double? TrainEvalTop1 { get; init; }

    /// <inheritdoc cref="TrainEvalTop1"/>
    public double? TrainEvalLoss { get; init; }

    /// <summary>The CPU that trained the run (oneDNN picks other kernels on other CPUs, so bits differ across them). Null in older records.</summary>
    public string? Cpu { get; init; }

    /// <summary>
    /// The classes the model's outputs mean, in output order (the dataset's label order): what an export writes into the
    /// model's metadata. Null in records from before datasets other than Imagenette: those runs' classes are Imagenette's.
    /// </summary>
    public IReadOnlyList<RunClass>? Classes { get; init; }
}

/// <summary>One output of a trained model: the class folder's name (its id) and its readable name.</summary>
public sealed record RunClass(string Id, string Name);
