namespace Pipeline.Experiments;

/// <summary>
/// A run stopped because a loss became non-finite: a result of its recipe and seed, not a missing run. Its
/// <c>diverged.json</c> is published beside its config and metrics, and the run is not trained again
/// (docs/design/zero-init-depth.md, third amendment).
/// </summary>
/// <param name="Epoch">The epoch (1-based) in which the loss became non-finite; the epochs before it are in metrics.jsonl.</param>
/// <param name="Loss">Which loss: "training loss" or "validation loss".</param>
/// <param name="Message">The trainer's words, with the step and learning rate where it has them.</param>
public sealed record RunDivergence(string Name, int Epoch, string Loss, string Message)
{
    public string Version { get; init; } = "";
    public string? Cpu { get; init; }
}

/// <summary>A loss became non-finite: the trainer stops the run before anything of the bad epoch is written.</summary>
public sealed class TrainingDivergedException(string message, int epoch, string loss) : Exception(message)
{
    /// <summary>The epoch (1-based) in which it happened.</summary>
    public int Epoch { get; } = epoch;

    /// <summary>"training loss" or "validation loss".</summary>
    public string Loss { get; } = loss;

    public RunDivergence Record(RunSpec spec) =>
        new(spec.Name, Epoch, Loss, Message) { Version = ProjectVersion.Current, Cpu = CpuFeatures.ModelName };
}
