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
        // Differences 1..5: mean 3, sd 1.5811, se 0.7071; t(0.975, 4 df) = 2.7764, t(0.80, 4 df) = 0.9410.
        var gap = PairedComparison.Of([1, 2, 3, 4, 5]);

        Assert.Equal(3, gap.Spread.Mean, 10);
        Assert.Equal(1.0368, gap.TLow, 3);
        Assert.Equal(4.9632, gap.THigh, 3);
        Assert.Equal((2.7764 + 0.9410) * 0.70711, gap.MinimumDetectableEffect, 3);
        Assert.True(gap.Significant);
        Assert.InRange(gap.BootstrapLow, 1.0, 3.0);
        Assert.InRange(gap.BootstrapHigh, 3.0, 5.0);
        // One seed gives a mean but no interval; a gap that straddles zero is not significant.
        Assert.True(double.IsNaN(PairedComparison.Of([2]).TLow));
        Assert.False(PairedComparison.Of([-1, 1, 0.5]).Significant);
    }

    [Fact]
    public void The_gap_trend_matches_a_hand_computation()
    {
        // Gaps 4, 3, 1, 0 at 1, 2, 4, 8 epochs (x = 0..3): slope −7/5 = −1.4 per doubling, intercept 4.1; residuals
        // −0.1, 0.3, −0.3, 0.1 give s² = 0.2 / 2. At 16 epochs (x = 4): 4.1 − 5.6 = −1.5, standard error
        // √0.1 · √(1/4 + 2.5² / 5) = 0.38730, t(0.975, 2 df) = 4.30265, so the interval is −1.5 ± 1.66641.
        var trend = GapTrend.Of([(1, 4), (2, 3), (4, 1), (8, 0)], atEpochs: 16)!;

        Assert.Equal(4, trend.Points);
        Assert.Equal(-1.4, trend.SlopePerDoubling, 10);
        Assert.Equal(-1.5, trend.Predicted, 10);
        Assert.Equal(-3.16641, trend.Low, 4);
        Assert.Equal(0.16641, trend.High, 4);
        // Two lengths however many seeds, gaps exactly on a line, or an unvalidated run: no interval to speak of.
        Assert.Null(GapTrend.Of([(5, 2), (10, 1), (10, 3)], 80));
        Assert.Null(GapTrend.Of([(5, 3), (10, 2), (20, 1)], 80));
        Assert.Null(GapTrend.Of([(5, 3), (10, 2), (20, double.NaN), (20, 1)], 80));
    }

    [Theory]
    [InlineData(1.0, 3.0, TrendOutlook.SignHolds)]
    [InlineData(-3.0, -1.0, TrendOutlook.Crosses)]
    [InlineData(-1.0, 1.0, TrendOutlook.MayCross)]
    public void The_trend_outlook_reads_the_interval_against_the_measured_sign(double low, double high, TrendOutlook expected)
    {
        var trend = new GapTrend(6, -1, 80, (low + high) / 2, low, high);

        Assert.Equal(expected, trend.Outlook(measuredMean: 4.0));
    }
}
