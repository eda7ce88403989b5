namespace Pipeline.Cli;

/// <summary>
/// Where the run being trained sits in an experiment, for the overall progress line: which run of how many, and the
/// epochs before and after it, so the time left overall follows from the current run's pace.
/// </summary>
public sealed class ExperimentClock
{
    /// <summary>Epochs the experiment still has to train (set from its plan).</summary>
    public int TotalEpochs { get; set; }
    public int EpochsDone { get; private set; }
    public int Run { get; private set; }
    public int Runs { get; set; }

    public void StartRun(int position) => Run = position;

    public void FinishRun(int epochsTrained) => EpochsDone += epochsTrained;

    /// <summary>Time left for the whole experiment: the run's own estimate, plus the epochs after it at this run's pace.</summary>
    public TimeSpan Remaining(Pipeline.Training.TrainingProgress p)
    {
        double epochsLeftInRun = Math.Max(p.Epochs - (p.Epoch - 1) - (p.StepsInEpoch > 0 ? (double)p.Step / p.StepsInEpoch : 0), 1e-6);
        double secondsPerEpoch = p.Remaining.TotalSeconds / epochsLeftInRun;
        int epochsAfter = Math.Max(0, TotalEpochs - EpochsDone - p.Epochs);
        return p.Remaining + TimeSpan.FromSeconds(epochsAfter * secondsPerEpoch);
    }

    /// <summary>Fraction of the experiment's epochs done, counting the current run's progress.</summary>
    public double Fraction(Pipeline.Training.TrainingProgress p) =>
        TotalEpochs == 0 ? 0 : Math.Min(1, (EpochsDone + (p.Epoch - 1) + (p.StepsInEpoch > 0 ? (double)p.Step / p.StepsInEpoch : 0)) / TotalEpochs);
}
