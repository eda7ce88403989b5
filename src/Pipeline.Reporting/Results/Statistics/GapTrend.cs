using MathNet.Numerics.Distributions;

namespace Pipeline.Reporting.Results;

/// <summary>The shape a gap-against-length line is fitted in.</summary>
public enum TrendForm
{
    /// <summary>gap = a + b·log2(epochs): each doubling of the schedule moves the gap by b, without end.</summary>
    LogLength,

    /// <summary>gap = a + b / epochs: the gap approaches a, its value for an endless schedule.</summary>
    InverseLength,
}

/// <summary>
/// The paired gap's trend over training length: a least-squares line through every seed's gap against a function of
/// the length (<see cref="TrendForm"/>). It reports how well the form fits (the residual standard deviation and the
/// lack-of-fit F test, which weighs the scatter of the lengths' means around the line against the seed-to-seed scatter
/// within each length), and what it predicts at a longer length: the fitted mean's 95 % confidence interval and the
/// 95 % prediction interval for one new pair there (Student's t, n − 2 df), and the length where the line crosses zero.
/// The intervals hold seed noise only and take the form as given; one seed's runs at different lengths share their
/// initial weights and data order, so they are if anything too narrow. An extrapolation is a reason to train a length,
/// never a result in itself.
/// </summary>
public sealed record GapTrend(
    TrendForm Form, int Points, int Lengths, double Intercept, double Slope, double ResidualSd,
    double LackOfFitF, double LackOfFitP, int AtEpochs, double Predicted, double MeanLow, double MeanHigh, double PredictionLow, double PredictionHigh,
    double CrossingEpochs)
{
    /// <summary>Fewer lengths than this give a line that cannot show it is not straight.</summary>
    public const int MinimumLengths = 3;

    /// <summary>Each form, fitted where it can be (see <see cref="Of"/>).</summary>
    public static IReadOnlyList<GapTrend> Fits(IReadOnlyList<(int Epochs, double Gap)> gaps, int atEpochs) =>
        [.. Enum.GetValues<TrendForm>().Select(form => Of(gaps, atEpochs, form)).OfType<GapTrend>()];

    /// <summary>The form that fits the gaps better: the smaller residual standard deviation (both forms have two parameters).</summary>
    public static GapTrend? Better(IReadOnlyList<GapTrend> fits) => fits.OrderBy(f => f.ResidualSd).FirstOrDefault();

    /// <summary>
    /// Null below <see cref="MinimumLengths"/> lengths, with a gap that is not a number (an unvalidated run), or when the
    /// gaps lie exactly on a line: there is no spread to build an interval from.
    /// </summary>
    public static GapTrend? Of(IReadOnlyList<(int Epochs, double Gap)> gaps, int atEpochs, TrendForm form = TrendForm.LogLength)
    {
        if (gaps.Any(g => !double.IsFinite(g.Gap)) || gaps.Select(g => g.Epochs).Distinct().Count() < MinimumLengths)
            return null;
        var x = gaps.Select(g => X(form, g.Epochs)).ToArray();
        var y = gaps.Select(g => g.Gap).ToArray();
        double meanX = x.Average(), meanY = y.Average();
        double sxx = x.Sum(v => (v - meanX) * (v - meanX));
        double slope = x.Zip(y).Sum(p => (p.First - meanX) * (p.Second - meanY)) / sxx;
        double intercept = meanY - slope * meanX;
        int n = gaps.Count, m = gaps.Select(g => g.Epochs).Distinct().Count();
        double sse = x.Zip(y).Sum(p => Math.Pow(p.Second - intercept - slope * p.First, 2));
        double residualSd = Math.Sqrt(sse / (n - 2));
        if (!(residualSd > 1e-9))
            return null;

        // Lack of fit: the residual splits into the seeds' scatter around their length's mean (pure error, n − m df)
        // and the lengths' means around the line (m − 2 df).
        double pureError = gaps.GroupBy(g => g.Epochs).Sum(l => l.Sum(g => Math.Pow(g.Gap - l.Average(v => v.Gap), 2)));
        double f = double.NaN, p = double.NaN;
        if (n > m && pureError > 0)
        {
            f = Math.Max(0, sse - pureError) / (m - 2) / (pureError / (n - m)); // a line through every mean leaves only rounding
            p = 1 - FisherSnedecor.CDF(m - 2, n - m, f);
        }

        double at = X(form, atEpochs), predicted = intercept + slope * at, t = TInterval.Critical(PairedComparison.Confidence, n - 2);
        double leverage = 1.0 / n + (at - meanX) * (at - meanX) / sxx;
        double meanHalf = t * residualSd * Math.Sqrt(leverage), newHalf = t * residualSd * Math.Sqrt(1 + leverage);
        return new GapTrend(form, n, m, intercept, slope, residualSd, f, p, atEpochs,
            predicted, predicted - meanHalf, predicted + meanHalf, predicted - newHalf, predicted + newHalf, Crossing(form, intercept, slope));
    }

    private static double X(TrendForm form, double epochs) => form == TrendForm.LogLength ? Math.Log2(epochs) : 1 / epochs;

    /// <summary>The length where the fitted line is zero; NaN where it never is at a positive length.</summary>
    private static double Crossing(TrendForm form, double intercept, double slope)
    {
        if (slope == 0)
            return double.NaN;
        double x = -intercept / slope;
        return form == TrendForm.LogLength ? Math.Pow(2, x) : x > 0 ? 1 / x : double.NaN;
    }

    /// <summary>The line's value at <paramref name="epochs"/>.</summary>
    public double At(double epochs) => Intercept + Slope * X(Form, epochs);

    /// <summary>The gap one doubling of the schedule adds, at <paramref name="epochs"/> (constant in the log form).</summary>
    public double PerDoublingAt(double epochs) => At(2 * epochs) - At(epochs);

    /// <summary>What the prediction interval at <see cref="AtEpochs"/> says against the sign of the gaps measured (<paramref name="measuredMean"/>).</summary>
    public TrendOutlook Outlook(double measuredMean) =>
        (PredictionLow > 0 || PredictionHigh < 0) && Math.Sign(PredictionLow) == Math.Sign(measuredMean) ? TrendOutlook.SignHolds
        : PredictionLow > 0 || PredictionHigh < 0 ? TrendOutlook.Crosses
        : TrendOutlook.MayCross;

    /// <summary>How the page names the form.</summary>
    public string FormText => Form == TrendForm.LogLength ? "a + b·log2(epochs)" : "a + b / epochs";
}

/// <summary>Where a trend's prediction interval lies against zero, and the side the gaps were measured on.</summary>
public enum TrendOutlook
{
    /// <summary>It excludes zero on the side measured: the sign holds on this trend.</summary>
    SignHolds,

    /// <summary>It lies wholly on the other side of zero: the lines cross before that length.</summary>
    Crosses,

    /// <summary>It includes zero: the lines may cross by that length.</summary>
    MayCross,
}
