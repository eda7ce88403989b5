namespace Pipeline.Experiments.Tests;

/// <summary>The overall progress line of an experiment: what is left follows from the runner's events and the current run's pace.</summary>
public sealed class ExperimentClockTests
{
    private static PlannedRun Planned(int index, int epochs, RunState state, int done = 0) =>
        new(index, new RunSpec { Name = $"r{index}", Epochs = epochs }, state, done);

    [Fact]
    public void The_plan_counts_only_the_epochs_left_and_published_runs_count_for_nothing()
    {
        var clock = new ExperimentClock();
        clock.Observe(new PlanReady([Planned(0, 10, RunState.Published, 10), Planned(1, 10, RunState.Partial, 4), Planned(2, 20, RunState.New)]));
        Assert.Equal(6 + 20, clock.TotalEpochs);
        Assert.Equal(0, clock.EpochsDone);
    }

    [Fact]
    public void Time_left_is_the_runs_own_estimate_plus_the_later_runs_epochs_at_its_pace()
    {
        var clock = new ExperimentClock();
        clock.Observe(new PlanReady([Planned(0, 10, RunState.New), Planned(1, 10, RunState.New), Planned(2, 10, RunState.New)]));
        clock.Observe(new RunStarting(Planned(0, 10, RunState.New), 1, 3));
        // Half-way through epoch 3 of 10 with 75 s left: 7.5 epochs take 75 s, so 10 s an epoch; 20 epochs follow.
        var position = new RunPosition(Epoch: 3, Epochs: 10, Step: 50, StepsInEpoch: 100, Remaining: TimeSpan.FromSeconds(75));
        Assert.Equal(TimeSpan.FromSeconds(75 + 200), clock.Remaining(position));
        Assert.Equal(2.5 / 30, clock.Fraction(position), 12);
        Assert.Equal((1, 3), (clock.Run, clock.Runs));
    }

    [Fact]
    public void A_run_trained_moves_its_epochs_to_done()
    {
        var clock = new ExperimentClock();
        clock.Observe(new PlanReady([Planned(0, 10, RunState.Partial, 4), Planned(1, 10, RunState.New)]));
        clock.Observe(new RunTrained(Planned(0, 10, RunState.Partial, 4), new RunSummary("r0", 10, 0.5, 0.9, 0.5, 1, 1, "", "")));
        Assert.Equal(6, clock.EpochsDone);
        var second = new RunPosition(Epoch: 1, Epochs: 10, Step: 0, StepsInEpoch: 100, Remaining: TimeSpan.FromSeconds(100));
        Assert.Equal(TimeSpan.FromSeconds(100), clock.Remaining(second)); // the last run: nothing after it
        Assert.Equal(6 / 16.0, clock.Fraction(second), 12);
    }
}
