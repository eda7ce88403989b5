namespace Pipeline.Reporting.Results;

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
        double halfWidth = TInterval.Critical(PairedComparison.Confidence, n - 2) *
                           residualSd * Math.Sqrt(1.0 / n + (at - meanX) * (at - meanX) / sxx);
        return new GapTrend(n, slope, atEpochs, predicted, predicted - halfWidth, predicted + halfWidth);
    }

    /// <summary>What the interval at <see cref="AtEpochs"/> says against the sign of the gaps measured (<paramref name="measuredMean"/>).</summary>
    public TrendOutlook Outlook(double measuredMean) =>
        (Low > 0 || High < 0) && Math.Sign(Low) == Math.Sign(measuredMean) ? TrendOutlook.SignHolds
        : Low > 0 || High < 0 ? TrendOutlook.Crosses
        : TrendOutlook.MayCross;
}

/// <summary>Where a trend's interval lies against zero, and the side the gaps were measured on.</summary>
public enum TrendOutlook
{
    /// <summary>It excludes zero on the side measured: the sign holds on this trend.</summary>
    SignHolds,

    /// <summary>It lies wholly on the other side of zero: the lines cross before that length.</summary>
    Crosses,

    /// <summary>It includes zero: the lines may cross by that length.</summary>
    MayCross,
}
