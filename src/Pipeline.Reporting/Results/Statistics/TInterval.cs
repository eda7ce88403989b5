using MathNet.Numerics.Distributions;

namespace Pipeline.Reporting.Results;

/// <summary>
/// Student's t, where every interval of the results page comes from: a mean's confidence interval, a paired gap's, the
/// power of a paired comparison and a trend line's.
/// </summary>
public static class TInterval
{
    /// <summary>The quantile q of Student's t with <paramref name="degreesOfFreedom"/>: P(T ≤ q) = <paramref name="probability"/>.</summary>
    public static double Quantile(double probability, int degreesOfFreedom) => StudentT.InvCDF(0, 1, degreesOfFreedom, probability);

    /// <summary>The two-sided critical value at <paramref name="confidence"/>: the quantile at 1 − (1 − confidence) / 2.</summary>
    public static double Critical(double confidence, int degreesOfFreedom) => Quantile(1 - (1 - confidence) / 2, degreesOfFreedom);

    /// <summary>
    /// Half the width of the two-sided confidence interval for the mean of the values <paramref name="spread"/>
    /// describes: t(n − 1) · sd / √n. NaN below two values, where there is no spread to build it from.
    /// </summary>
    public static double HalfWidth(Spread spread, double confidence) =>
        spread.Count < 2 ? double.NaN : Critical(confidence, spread.Count - 1) * spread.StandardError;
}
