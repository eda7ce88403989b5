using Pipeline.Reporting.Results;

namespace Pipeline.Reporting.Tests;

/// <summary>The results page's statistics against published values and hand computations.</summary>
public sealed class StatisticsTests
{
    [Theory]
    // Two-sided 95 % and one-sided 95 % critical values, as printed in every table of Student's t (to 3 decimals).
    [InlineData(0.95, 1, 12.706)]
    [InlineData(0.95, 2, 4.303)]
    [InlineData(0.95, 4, 2.776)]
    [InlineData(0.95, 9, 2.262)]
    [InlineData(0.95, 30, 2.042)]
    [InlineData(0.90, 10, 1.812)]
    [InlineData(0.99, 5, 4.032)]
    public void The_t_critical_values_are_the_tables(double confidence, int degreesOfFreedom, double table)
    {
        Assert.Equal(table, TInterval.Critical(confidence, degreesOfFreedom), 3);
    }

    [Fact]
    public void The_paired_t_interval_of_students_sleep_data_is_the_published_one()
    {
        // Student (1908), the extra hours of sleep of 10 patients under two drugs, as R ships it (`sleep`):
        // t.test(extra ~ group, data = sleep, paired = TRUE) gives mean −1.58, 95 % CI [−2.4598858, −0.7001142].
        double[] drug1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
        double[] drug2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];

        var gap = PairedComparison.Of(drug1.Zip(drug2, (a, b) => a - b).ToArray());

        Assert.Equal(-1.58, gap.Spread.Mean, 10);
        Assert.Equal(-2.4598858, gap.TLow, 6);
        Assert.Equal(-0.7001142, gap.THigh, 6);
        Assert.True(gap.Significant);
        Assert.Equal(gap.THigh - gap.Spread.Mean, TInterval.HalfWidth(gap.Spread, 0.95), 12);
    }

    [Fact]
    public void A_mean_of_one_value_has_no_interval_and_no_spread()
    {
        var one = Spread.Of([3.0]);

        Assert.Equal(3.0, one.Mean);
        Assert.True(double.IsNaN(one.StandardDeviation));
        Assert.True(double.IsNaN(TInterval.HalfWidth(one, 0.95)));
        Assert.True(double.IsNaN(Spread.Of([]).Mean));
    }

    [Fact]
    public void The_paired_t_interval_and_detectable_effect_match_a_hand_computation()
    {
        // Differences 1..5: mean 3, sd 1.5811, se 0.7071; t(0.975, 4 df) = 2.7764, t(0.95, 4 df) = 2.1318, t(0.80, 4 df) = 0.9410.
        var gap = PairedComparison.Of([1, 2, 3, 4, 5]);

        Assert.Equal(3, gap.Spread.Mean, 10);
        Assert.Equal(1.0368, gap.TLow, 3);
        Assert.Equal(4.9632, gap.THigh, 3);
        Assert.Equal(3 - 2.1318 * 0.70711, gap.OneSidedLow, 3);
        Assert.Equal(3 + 2.1318 * 0.70711, gap.OneSidedHigh, 3);
        Assert.Equal((2.7764 + 0.9410) * 0.70711, gap.MinimumDetectableEffect, 3);
        Assert.True(gap.Significant);
        Assert.Equal(GapVerdict.ZeroInitCosts, gap.Verdict);
        Assert.InRange(gap.BootstrapLow, 1.0, 3.0);
        Assert.InRange(gap.BootstrapHigh, 3.0, 5.0);
        // One seed gives a mean but no interval, so no claim; a gap that straddles zero is not significant and undecided.
        Assert.True(double.IsNaN(PairedComparison.Of([2]).TLow));
        Assert.Equal(GapVerdict.NoInterval, PairedComparison.Of([2]).Verdict);
        Assert.False(PairedComparison.Of([-1, 1, 0.5]).Significant);
        Assert.Equal(GapVerdict.Undecided, PairedComparison.Of([-1, 1, 0.5]).Verdict);
    }

    [Fact]
    public void A_directional_claim_needs_only_the_one_sided_bound_so_it_can_stand_where_the_two_sided_interval_does_not()
    {
        // Differences −1, −2, −2.5: mean −1.8333, sd 0.7638, se 0.4410; t(0.975, 2) = 4.3027 gives [−3.73, +0.06] (includes 0),
        // t(0.95, 2) = 2.9200 gives an upper bound of −0.546: zero-init wins at 95 % one-sided.
        var gap = PairedComparison.Of([-1, -2, -2.5]);

        Assert.False(gap.Significant);
        Assert.Equal(-1.8333 + 2.9200 * 0.44096, gap.OneSidedHigh, 3);
        Assert.Equal(GapVerdict.ZeroInitWins, gap.Verdict);
    }

    [Fact]
    public void No_bootstrap_interval_is_given_from_fewer_than_five_pairs()
    {
        Assert.True(double.IsNaN(PairedComparison.Of([1, 2, 3, 4]).BootstrapLow));
        Assert.True(double.IsNaN(PairedComparison.Of([1, 2, 3, 4]).BootstrapHigh));
        Assert.False(double.IsNaN(PairedComparison.Of([1, 2, 3, 4, 5]).BootstrapLow));
    }

    [Fact]
    public void The_gap_trend_matches_a_hand_computation()
    {
        // Gaps 4, 3, 1, 0 at 1, 2, 4, 8 epochs (x = 0..3): slope −7/5 = −1.4 per doubling, intercept 4.1; residuals
        // −0.1, 0.3, −0.3, 0.1 give s² = 0.2 / 2. At 16 epochs (x = 4): 4.1 − 5.6 = −1.5, the line's standard error
        // √0.1 · √(1/4 + 2.5² / 5) = 0.38730 and a new pair's √0.1 · √(1 + 1/4 + 2.5² / 5) = 0.5; t(0.975, 2 df) = 4.30265.
        var trend = GapTrend.Of([(1, 4), (2, 3), (4, 1), (8, 0)], atEpochs: 16)!;

        Assert.Equal(4, trend.Points);
        Assert.Equal(-1.4, trend.Slope, 10);
        Assert.Equal(-1.4, trend.PerDoublingAt(5), 10);
        Assert.Equal(-1.5, trend.Predicted, 10);
        Assert.Equal(-1.5 - 1.66641, trend.MeanLow, 4);
        Assert.Equal(-1.5 + 1.66641, trend.MeanHigh, 4);
        Assert.Equal(-1.5 - 4.30265 * 0.5, trend.PredictionLow, 4);
        Assert.Equal(-1.5 + 4.30265 * 0.5, trend.PredictionHigh, 4);
        Assert.Equal(Math.Pow(2, 4.1 / 1.4), trend.CrossingEpochs, 6); // 4.1 − 1.4·x = 0
        Assert.True(double.IsNaN(trend.LackOfFitF), "one seed per length leaves no pure error to test the fit against");
        // Two lengths however many seeds, gaps exactly on a line, or an unvalidated run: no interval to speak of.
        Assert.Null(GapTrend.Of([(5, 2), (10, 1), (10, 3)], 80));
        Assert.Null(GapTrend.Of([(5, 3), (10, 2), (20, 1)], 80));
        Assert.Null(GapTrend.Of([(5, 3), (10, 2), (20, double.NaN), (20, 1)], 80));
    }

    [Fact]
    public void The_inverse_form_approaches_its_intercept_and_lack_of_fit_weighs_the_means_against_the_seeds()
    {
        // Gaps a + b/epochs with a = 1, b = 20, each length measured twice (±0.1 around the curve).
        (int, double)[] gaps = [(5, 5.1), (5, 4.9), (10, 3.1), (10, 2.9), (20, 2.1), (20, 1.9), (40, 1.6), (40, 1.4)];
        var inverse = GapTrend.Of(gaps, 80, TrendForm.InverseLength)!;
        var log = GapTrend.Of(gaps, 80, TrendForm.LogLength)!;

        Assert.Equal(1, inverse.Intercept, 6);
        Assert.Equal(20, inverse.Slope, 6);
        Assert.Equal(1 + 20 / 80.0, inverse.Predicted, 6);
        Assert.True(double.IsNaN(inverse.CrossingEpochs), "a line that stays above zero never crosses it");
        // The inverse form goes through every length's mean: its lack of fit is nil; the log form bends away from them.
        Assert.Equal(0, inverse.LackOfFitF, 6);
        Assert.True(log.LackOfFitF > 10 && log.LackOfFitP < 0.01, $"log form: F {log.LackOfFitF}, p {log.LackOfFitP}");
        Assert.Same(inverse, GapTrend.Better([log, inverse]));
        Assert.Equal(2, GapTrend.Fits(gaps, 80).Count);
    }

    [Theory]
    [InlineData(1.0, 3.0, TrendOutlook.SignHolds)]
    [InlineData(-3.0, -1.0, TrendOutlook.Crosses)]
    [InlineData(-1.0, 1.0, TrendOutlook.MayCross)]
    public void The_trend_outlook_reads_the_prediction_interval_against_the_measured_sign(double low, double high, TrendOutlook expected)
    {
        var trend = new GapTrend(TrendForm.LogLength, 6, 3, 0, -1, 1, double.NaN, double.NaN, 80, (low + high) / 2, low, high, low, high, double.NaN);

        Assert.Equal(expected, trend.Outlook(measuredMean: 4.0));
    }
}
