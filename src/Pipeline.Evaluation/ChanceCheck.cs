using System.Globalization;

namespace Pipeline.Evaluation;

/// <summary>
/// Whether a top-1 is clearly above what guessing scores: more than two standard errors of the guessing rate
/// (1 / classes, on this many images) above it. A model that learned nothing (one class predicted for every
/// image scores exactly the guessing rate on a balanced set) fails it and is never reported as a success.
/// </summary>
public sealed record ChanceCheck(double Top1, double Chance, double Threshold, long Examples)
{
    public bool AboveChance => Top1 > Threshold;

    public static ChanceCheck Of(ClassificationMetrics metrics)
    {
        double chance = 1.0 / Math.Max(1, metrics.PerClass.Count);
        double standardError = Math.Sqrt(chance * (1 - chance) / Math.Max(1, metrics.Count));
        return new ChanceCheck(metrics.Top1, chance, chance + 2 * standardError, metrics.Count);
    }

    /// <summary>One line for the console and the report; empty when the model is above chance.</summary>
    public string Warning(string model) => AboveChance
        ? ""
        : string.Create(CultureInfo.InvariantCulture,
            $"{model}: top-1 {Top1:P2} is not clearly above chance ({Chance:P0}; a model must beat {Threshold:P1} on these {Examples} images): it has learned nothing usable. Train it longer or check its data.");
}
