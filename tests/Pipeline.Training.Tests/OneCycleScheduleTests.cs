using Pipeline.Experiments;
using Pipeline.Training;

namespace Pipeline.Training.Tests;

public class OneCycleScheduleTests
{
    private static readonly Recipe Reference = Recipe.FastaiReference;

    [Fact]
    public void Starts_at_lr_max_over_25_with_momentum_095()
    {
        var (lr, mom) = new OneCycleSchedule(Reference, 1000).At(0);
        Assert.Equal(1e-3 / 25, lr, 12);
        Assert.Equal(0.95, mom, 12);
    }

    [Fact]
    public void Peaks_at_lr_max_and_momentum_085_at_the_end_of_the_25_percent_warm_up()
    {
        var (lr, mom) = new OneCycleSchedule(Reference, 1000).At(250);
        Assert.Equal(1e-3, lr, 12);
        Assert.Equal(0.85, mom, 12);
    }

    [Fact]
    public void Ends_at_lr_max_over_1e5_with_momentum_back_at_095()
    {
        var (lr, mom) = new OneCycleSchedule(Reference, 1000).At(1000);
        Assert.Equal(1e-3 / 1e5, lr, 14);
        Assert.Equal(0.95, mom, 12);
    }

    [Fact]
    public void Follows_fastai_cosine_half_way_through_each_phase()
    {
        var schedule = new OneCycleSchedule(Reference, 1000);
        // SchedCos at pos 0.5 is the mid-point of start and end.
        Assert.Equal((1e-3 / 25 + 1e-3) / 2, schedule.At(125).LearningRate, 12);
        Assert.Equal((1e-3 + 1e-3 / 1e5) / 2, schedule.At(625).LearningRate, 12);
        Assert.Equal(0.90, schedule.At(625).Momentum, 12);
    }

    [Fact]
    public void Learning_rate_rises_then_falls_monotonically()
    {
        var schedule = new OneCycleSchedule(Reference, 400);
        var lrs = Enumerable.Range(0, 401).Select(s => schedule.At(s).LearningRate).ToArray();
        for (int s = 1; s <= 100; s++) Assert.True(lrs[s] > lrs[s - 1], $"lr must rise during warm-up (step {s})");
        for (int s = 101; s <= 400; s++) Assert.True(lrs[s] < lrs[s - 1], $"lr must fall after warm-up (step {s})");
    }
}
