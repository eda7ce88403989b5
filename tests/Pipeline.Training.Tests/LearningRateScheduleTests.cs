using Pipeline.Experiments;
using Pipeline.Training;

namespace Pipeline.Training.Tests;

public class LearningRateScheduleTests
{
    private static readonly Recipe Reference = Recipe.FastaiReference;

    [Fact]
    public void Starts_at_lr_max_over_25_with_momentum_095()
    {
        var (lr, mom) = new LearningRateSchedule(Reference, 1000).At(0);
        Assert.Equal(1e-3 / 25, lr, 12);
        Assert.Equal(0.95, mom, 12);
    }

    [Fact]
    public void Peaks_at_lr_max_and_momentum_085_at_the_end_of_the_25_percent_warm_up()
    {
        var (lr, mom) = new LearningRateSchedule(Reference, 1000).At(250);
        Assert.Equal(1e-3, lr, 12);
        Assert.Equal(0.85, mom, 12);
    }

    [Fact]
    public void Ends_at_lr_max_over_1e5_with_momentum_back_at_095()
    {
        var (lr, mom) = new LearningRateSchedule(Reference, 1000).At(1000);
        Assert.Equal(1e-3 / 1e5, lr, 14);
        Assert.Equal(0.95, mom, 12);
    }

    [Fact]
    public void Follows_fastai_cosine_half_way_through_each_phase()
    {
        var schedule = new LearningRateSchedule(Reference, 1000);
        // SchedCos at pos 0.5 is the mid-point of start and end.
        Assert.Equal((1e-3 / 25 + 1e-3) / 2, schedule.At(125).LearningRate, 12);
        Assert.Equal((1e-3 + 1e-3 / 1e5) / 2, schedule.At(625).LearningRate, 12);
        Assert.Equal(0.90, schedule.At(625).Momentum, 12);
    }

    [Fact]
    public void Learning_rate_rises_then_falls_monotonically()
    {
        var schedule = new LearningRateSchedule(Reference, 400);
        var lrs = Enumerable.Range(0, 401).Select(s => schedule.At(s).LearningRate).ToArray();
        for (int s = 1; s <= 100; s++) Assert.True(lrs[s] > lrs[s - 1], $"lr must rise during warm-up (step {s})");
        for (int s = 101; s <= 400; s++) Assert.True(lrs[s] < lrs[s - 1], $"lr must fall after warm-up (step {s})");
    }

    [Fact]
    public void The_sgd_recipe_warms_up_linearly_from_lr_over_100_for_5_percent_then_decays_by_cosine_to_zero_at_constant_momentum()
    {
        var schedule = new LearningRateSchedule(Recipe.Sgd, 1000);
        double peak = Recipe.Sgd.LrMax;
        Assert.Equal(0.025, peak);
        Assert.Equal(peak / 100, schedule.At(0).LearningRate, 12);
        Assert.Equal((peak / 100 + peak) / 2, schedule.At(25).LearningRate, 12); // linear: half-way is the mid-point
        Assert.Equal(peak, schedule.At(50).LearningRate, 12);
        Assert.Equal(peak / 2, schedule.At(525).LearningRate, 12);           // cosine: half-way is half
        Assert.Equal(0, schedule.At(1000).LearningRate, 12);
        Assert.All(Enumerable.Range(0, 1001), s => Assert.Equal(0.9, schedule.At(s).Momentum, 12));
        var lrs = Enumerable.Range(0, 1001).Select(s => schedule.At(s).LearningRate).ToArray();
        Assert.All(Enumerable.Range(1, 49), s => Assert.Equal(lrs[1] - lrs[0], lrs[s + 1] - lrs[s], 12));
    }
}
