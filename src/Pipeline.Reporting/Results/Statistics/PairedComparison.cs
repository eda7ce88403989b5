namespace Pipeline.Reporting.Results;

/// <summary>What one-sided 95 % bounds on a paired gap (off − on) say: which arm is better, or neither is shown to be.</summary>
public enum GapVerdict
{
    /// <summary>The lower bound is above zero: zero-init costs accuracy here.</summary>
    ZeroInitCosts,

    /// <summary>The upper bound is below zero: zero-init wins here.</summary>
    ZeroInitWins,

    /// <summary>Both bounds straddle zero: neither is shown.</summary>
    Undecided,

    /// <summary>Fewer than two seeds: no interval, so no claim either way yet.</summary>
    NoInterval,
}

/// <summary>
/// The paired comparison of two arms over seeds (each difference: one seed's run with the flag off minus the same
/// seed's run with it on): the mean difference with its two-sided 95 % confidence interval from Student's t, the
/// one-sided 95 % bounds a directional claim needs, a percentile bootstrap interval as a cross-check where there are
/// enough seeds for one, and the smallest true difference these seeds would detect with 80 % power.
/// </summary>
public sealed record PairedComparison(
    IReadOnlyList<double> Differences,
    Spread Spread,
    double TLow,
    double THigh,
    double OneSidedLow,
    double OneSidedHigh,
    double BootstrapLow,
    double BootstrapHigh,
    double MinimumDetectableEffect)
{
    public const double Confidence = 0.95;
    public const double Power = 0.80;
    public const int BootstrapResamples = 10_000;

    /// <summary>
    /// Fewer pairs give too few distinct resampled means for a percentile interval (3 pairs: 10 values), so none is
    /// reported below this.
    /// </summary>
    public const int MinimumPairsForBootstrap = 5;

    /// <summary>How <see cref="MinimumDetectableEffect"/> is computed, as the page states it.</summary>
    public const string MinimumDetectableEffectMethod =
        "(t(0.975, n−1) + t(0.80, n−1)) · s / √n: the true mean difference a two-sided 5 % paired t test detects with 80 % power, given the observed standard deviation s of the n paired differences";

    /// <summary>Whether the two-sided t interval excludes zero: the sign of the difference is established at 95 %.</summary>
    public bool Significant => TLow > 0 || THigh < 0;

    /// <summary>The directional claim the one-sided 95 % bounds support.</summary>
    public GapVerdict Verdict =>
        Differences.Count < 2 ? GapVerdict.NoInterval
        : OneSidedLow > 0 ? GapVerdict.ZeroInitCosts
        : OneSidedHigh < 0 ? GapVerdict.ZeroInitWins
        : GapVerdict.Undecided;

    /// <param name="differences">One difference per seed.</param>
    /// <param name="bootstrapSeed">Fixes the resampling, so the same runs always give the same interval (and page).</param>
    public static PairedComparison Of(IReadOnlyList<double> differences, int bootstrapSeed = 20261203)
    {
        var spread = Spread.Of(differences);
        int n = differences.Count;
        if (n < 2)
            return new PairedComparison(differences, spread, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);

        double halfWidth = TInterval.HalfWidth(spread, Confidence);
        double oneSided = TInterval.Quantile(Confidence, n - 1) * spread.StandardError;
        // Two-sided test at 1 - Confidence, power Power: the difference must exceed (t_{1-α/2} + t_{power}) standard errors.
        double mde = (TInterval.Critical(Confidence, n - 1) + TInterval.Quantile(Power, n - 1)) * spread.StandardError;
        var (bootLow, bootHigh) = n >= MinimumPairsForBootstrap ? Bootstrap(differences, bootstrapSeed) : (double.NaN, double.NaN);
        return new PairedComparison(differences, spread, spread.Mean - halfWidth, spread.Mean + halfWidth,
            spread.Mean - oneSided, spread.Mean + oneSided, bootLow, bootHigh, mde);
    }

    private static (double Low, double High) Bootstrap(IReadOnlyList<double> differences, int seed)
    {
        int n = differences.Count;
        var rng = new Random(seed);
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
        return (Percentile((1 - Confidence) / 2), Percentile(1 - (1 - Confidence) / 2));
    }
}
