namespace Pipeline.Reporting.Results;

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

        double halfWidth = TInterval.HalfWidth(spread, Confidence);
        // Two-sided test at 1 - Confidence, power Power: the difference must exceed (t_{1-α/2} + t_{power}) standard errors.
        double mde = (TInterval.Critical(Confidence, n - 1) + TInterval.Quantile(Power, n - 1)) * spread.StandardError;

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

        return new PairedComparison(differences, spread, spread.Mean - halfWidth, spread.Mean + halfWidth,
            Percentile((1 - Confidence) / 2), Percentile(1 - (1 - Confidence) / 2), mde);
    }
}
