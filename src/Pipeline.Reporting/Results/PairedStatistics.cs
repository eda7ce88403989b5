using MathNet.Numerics.Distributions;

namespace Pipeline.Reporting.Results;

/// <summary>Mean and sample standard deviation of a few numbers (NaN where undefined).</summary>
public readonly record struct Spread(int Count, double Mean, double StandardDeviation)
{
    public static Spread Of(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0)
            return new Spread(0, double.NaN, double.NaN);
        double mean = values.Average();
        double sd = values.Count > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1)) : double.NaN;
        return new Spread(values.Count, mean, sd);
    }
}

/// <summary>
/// The paired comparison of two arms over seeds (each difference: one seed's run with the flag off minus the same
/// seed's run with it on): the mean difference with its 95 % confidence interval from Student's t, a percentile
/// bootstrap interval as a cross-check, and the smallest true difference these seeds would detect with 80 % power.
/// </summary>
public sealed record PairedComparison(
    IReadOnlyList<double> Differences,
    Spread Spread,
    double TLow,
    double THigh,
    double BootstrapLow,
    double BootstrapHigh,
    double MinimumDetectableEffect)
{
    public const double Confidence = 0.95;
    public const double Power = 0.80;
    public const int BootstrapResamples = 10_000;

    /// <summary>Whether the t interval excludes zero: the sign of the difference is established at 95 %.</summary>
    public bool Significant => TLow > 0 || THigh < 0;

    /// <param name="differences">One difference per seed.</param>
    /// <param name="bootstrapSeed">Fixes the resampling, so the same runs always give the same interval (and page).</param>
    public static PairedComparison Of(IReadOnlyList<double> differences, int bootstrapSeed = 20261203)
    {
        var spread = Spread.Of(differences);
        int n = differences.Count;
        if (n < 2)
            return new PairedComparison(differences, spread, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);

        double standardError = spread.StandardDeviation / Math.Sqrt(n);
        double t = StudentT.InvCDF(0, 1, n - 1, 1 - (1 - Confidence) / 2);
        // Two-sided test at 1 - Confidence, power Power: the difference must exceed (t_{1-α/2} + t_{power}) standard errors.
        double mde = (t + StudentT.InvCDF(0, 1, n - 1, Power)) * standardError;

        var rng = new Random(bootstrapSeed);
        var means = new double[BootstrapResamples];
        for (int b = 0; b < means.Length; b++)
        {
            double sum = 0;
            for (int i = 0; i < n; i++)
                sum += differences[rng.Next(n)];
            means[b] = sum / n;
        }
        Array.Sort(means);
        double Percentile(double p) => means[Math.Clamp((int)Math.Floor(p * (means.Length - 1)), 0, means.Length - 1)];

        return new PairedComparison(differences, spread, spread.Mean - t * standardError, spread.Mean + t * standardError,
            Percentile((1 - Confidence) / 2), Percentile(1 - (1 - Confidence) / 2), mde);
    }
}

/// <summary>
/// The paired gap's trend over training length: a least-squares line through every seed's gap against log2(epochs), so
/// <see cref="SlopePerDoubling"/> is how much one doubling of the schedule moves the gap, and the line's value at a longer
/// length with the 95 % confidence interval of the fitted mean there (Student's t, n − 2 df). The interval holds seed
/// noise only, assumes the gap is linear in log2 epochs, and treats the runs as independent (one seed's runs at
/// different lengths share their initial weights and data order, so it is if anything too narrow): an extrapolation,
/// a reason to train that length, never a result in itself.
/// </summary>
public sealed record GapTrend(int Points, double SlopePerDoubling, int AtEpochs, double Predicted, double Low, double High)
{
    /// <summary>Fewer lengths than this give a line that cannot show it is not straight.</summary>
    public const int MinimumLengths = 3;

    /// <summary>
    /// Null below <see cref="MinimumLengths"/> lengths, with a gap that is not a number (an unvalidated run), or when the
    /// gaps lie exactly on a line: there is no spread to build an interval from.
    /// </summary>
    public static GapTrend? Of(IReadOnlyList<(int Epochs, double Gap)> gaps, int atEpochs)
    {
        if (gaps.Any(g => !double.IsFinite(g.Gap)) || gaps.Select(g => g.Epochs).Distinct().Count() < MinimumLengths)
            return null;
        var x = gaps.Select(g => Math.Log2(g.Epochs)).ToArray();
        var y = gaps.Select(g => g.Gap).ToArray();
        double meanX = x.Average(), meanY = y.Average();
        double sxx = x.Sum(v => (v - meanX) * (v - meanX));
        double slope = x.Zip(y).Sum(p => (p.First - meanX) * (p.Second - meanY)) / sxx;
        double intercept = meanY - slope * meanX;
        int n = gaps.Count;
        double residualSd = Math.Sqrt(x.Zip(y).Sum(p => Math.Pow(p.Second - intercept - slope * p.First, 2)) / (n - 2));
        if (!(residualSd > 1e-9))
            return null;
        double at = Math.Log2(atEpochs), predicted = intercept + slope * at;
        double halfWidth = StudentT.InvCDF(0, 1, n - 2, 1 - (1 - PairedComparison.Confidence) / 2) *
                           residualSd * Math.Sqrt(1.0 / n + (at - meanX) * (at - meanX) / sxx);
        return new GapTrend(n, slope, atEpochs, predicted, predicted - halfWidth, predicted + halfWidth);
    }

    /// <summary>What the interval says against the sign of the gaps measured (<paramref name="measuredMean"/>): the sign holds, flips, or may flip.</summary>
    public string Verdict(double measuredMean) =>
        (Low > 0 || High < 0) && Math.Sign(Low) == Math.Sign(measuredMean)
            ? $"The interval excludes zero on the side measured: on this trend the sign holds up to {AtEpochs} epochs."
            : Low > 0 || High < 0
                ? $"The interval lies wholly on the other side of zero: on this trend the lines cross before {AtEpochs} epochs, so that length is worth training."
                : $"The interval includes zero: on this trend the lines may cross by {AtEpochs} epochs, so that length is worth training.";
}
