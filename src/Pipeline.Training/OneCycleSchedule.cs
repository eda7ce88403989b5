using Pipeline.Experiments;

namespace Pipeline.Training;

/// <summary>
/// fastai's one-cycle policy (`fit_one_cycle`): cosine warm-up from lr_max/div to lr_max over
/// <c>pct_start</c> of training, then cosine annealing to lr_max/div_final; momentum (β1) moves the
/// other way, 0.95 → 0.85 → 0.95. Evaluated at the fraction of training done before each batch,
/// as fastai's ParamScheduler does.
/// </summary>
public sealed class OneCycleSchedule(Recipe recipe, long totalSteps)
{
    public long TotalSteps { get; } = totalSteps;

    public (double LearningRate, double Momentum) At(long step)
    {
        double pos = (double)step / TotalSteps;
        double lrMax = recipe.LrMax, pct = recipe.PctStart;
        var m = recipe.Moms;
        return pos < pct
            ? (Cos(lrMax / recipe.DivStart, lrMax, pos / pct), Cos(m[0], m[1], pos / pct))
            : (Cos(lrMax, lrMax / recipe.DivFinal, (pos - pct) / (1 - pct)), Cos(m[1], m[2], (pos - pct) / (1 - pct)));
    }

    /// <summary>fastai's SchedCos: start + (1 + cos(π(1 − pos)))·(end − start)/2.</summary>
    private static double Cos(double start, double end, double pos) =>
        start + (1 + Math.Cos(Math.PI * (1 - pos))) * (end - start) / 2;
}
