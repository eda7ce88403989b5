using Pipeline.Experiments;

namespace Pipeline.Training;

/// <summary>
/// The recipe's learning rate and momentum (β1 for Adam) at each step, evaluated at the fraction of training done
/// before the batch, as fastai's ParamScheduler does. Both schedules have two phases split at <c>PctStart</c>:
/// <list type="bullet">
/// <item><see cref="ScheduleKind.OneCycle"/>, fastai's <c>fit_one_cycle</c>: cosine warm-up from lr_max/div to lr_max,
/// then cosine annealing to lr_max/div_final; momentum moves the other way, 0.95 → 0.85 → 0.95.</item>
/// <item><see cref="ScheduleKind.WarmupCosine"/>, torchvision's reference: linear warm-up from lr_max/div to lr_max, then
/// cosine decay to 0; momentum moves linearly, then by cosine, between the recipe's values (constant when they are equal).</item>
/// </list>
/// </summary>
public sealed class LearningRateSchedule(Recipe recipe, long totalSteps)
{
    public long TotalSteps { get; } = totalSteps;

    public (double LearningRate, double Momentum) At(long step)
    {
        double pos = (double)step / TotalSteps;
        double lrMax = recipe.LrMax, pct = recipe.PctStart;
        var m = recipe.Moms;
        if (pos < pct)
        {
            double warm = pos / pct;
            return recipe.Schedule == ScheduleKind.WarmupCosine
                ? (Linear(lrMax / recipe.DivStart, lrMax, warm), Linear(m[0], m[1], warm))
                : (Cos(lrMax / recipe.DivStart, lrMax, warm), Cos(m[0], m[1], warm));
        }
        double anneal = (pos - pct) / (1 - pct);
        double lrEnd = recipe.Schedule == ScheduleKind.WarmupCosine ? 0 : lrMax / recipe.DivFinal;
        return (Cos(lrMax, lrEnd, anneal), Cos(m[1], m[2], anneal));
    }

    /// <summary>fastai's SchedCos: start + (1 + cos(π(1 − pos)))·(end − start)/2.</summary>
    private static double Cos(double start, double end, double pos) =>
        start + (1 + Math.Cos(Math.PI * (1 - pos))) * (end - start) / 2;

    private static double Linear(double start, double end, double pos) => start + (pos * (end - start));
}
