namespace Pipeline.Experiments;

/// <summary>Where the run being trained stands: its current epoch (1-based), epochs, step in the epoch, and its own time-left estimate.</summary>
public readonly record struct RunPosition(int Epoch, int Epochs, long Step, long StepsInEpoch, TimeSpan Remaining);

/// <summary>
/// Where the run being trained sits in an experiment, for the overall progress line: which run of how many, and the
/// epochs before and after it, so the time left overall follows from the current run's pace. It follows the runner's
/// events (<see cref="Observe"/>): the plan sets the epochs to train, each run trained adds its epochs as done.
/// </summary>
public sealed class ExperimentClock
{
    /// <summary>Epochs the experiment still has to train (from its plan: published runs count for nothing).</summary>
    public int TotalEpochs { get; private set; }
    public int EpochsDone { get; private set; }
    public int Run { get; private set; }
    public int Runs { get; private set; }

    public void Observe(ExperimentEvent e)
    {
        switch (e)
        {
            case PlanReady plan:
                TotalEpochs = plan.Runs.Where(r => r.State is not (RunState.Published or RunState.Diverged)).Sum(r => r.Spec.Epochs - r.EpochsDone);
                break;
            case RunStarting starting:
                (Run, Runs) = (starting.Position, starting.Count);
                break;
            case RunTrained trained:
                EpochsDone += trained.Run.Spec.Epochs - trained.Run.EpochsDone;
                break;
            case RunDiverged diverged: // its epochs left will not be trained
                EpochsDone += diverged.Run.Spec.Epochs - diverged.Run.EpochsDone;
                break;
        }
    }

    /// <summary>Time left for the whole experiment: the run's own estimate, plus the epochs after it at this run's pace.</summary>
    public TimeSpan Remaining(RunPosition p)
    {
        double epochsLeftInRun = Math.Max(p.Epochs - (p.Epoch - 1) - EpochFraction(p), 1e-6);
        double secondsPerEpoch = p.Remaining.TotalSeconds / epochsLeftInRun;
        int epochsAfter = Math.Max(0, TotalEpochs - EpochsDone - p.Epochs);
        return p.Remaining + TimeSpan.FromSeconds(epochsAfter * secondsPerEpoch);
    }

    /// <summary>Fraction of the experiment's epochs done, counting the current run's progress.</summary>
    public double Fraction(RunPosition p) =>
        TotalEpochs == 0 ? 0 : Math.Min(1, (EpochsDone + (p.Epoch - 1) + EpochFraction(p)) / TotalEpochs);

    private static double EpochFraction(RunPosition p) => p.StepsInEpoch > 0 ? (double)p.Step / p.StepsInEpoch : 0;
}
