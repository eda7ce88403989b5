namespace Pipeline.Experiments.Tests;

/// <summary>The one way numbers are written for people: the page, the reports, the answer and the console agree.</summary>
public class NumberTextTests
{
    [Fact]
    public void Negatives_carry_a_true_minus_sign_and_differences_always_show_theirs()
    {
        Assert.Equal("−0.40", NumberText.Fixed(-0.4));
        Assert.Equal("−0.403", NumberText.Fixed(-0.4034, "0.000"));
        Assert.Equal("+1.25", NumberText.Signed(1.25));
        Assert.Equal("−80.00", NumberText.Signed(-80));
        Assert.Equal("−22.0", NumberText.Signed(-22.04, "0.0"));
        // What rounds to zero is zero, without a sign either way.
        Assert.Equal("0.00", NumberText.Signed(-0.001));
        Assert.Equal("0.00", NumberText.Signed(0.004));
        Assert.DoesNotContain("-", NumberText.Fixed(-1.5) + NumberText.Signed(-1.5));
    }

    [Fact]
    public void Numbers_are_invariant_fractions_become_percentages_and_what_is_no_number_is_a_dash()
    {
        Assert.Equal("73.31", NumberText.Percent(0.73314));
        Assert.Equal("10,000", NumberText.Fixed(10_000, "N0"));
        Assert.Equal("95.7 %", NumberText.Fixed(0.9571, "0.0 %"));
        Assert.Equal("1", NumberText.Fixed(1, "0.##"));
        Assert.Equal(NumberText.Missing, NumberText.Fixed(double.NaN));
        Assert.Equal(NumberText.Missing, NumberText.Signed(double.PositiveInfinity));
        Assert.Equal(NumberText.Missing, NumberText.Percent(double.NaN));

        var culture = System.Globalization.CultureInfo.CurrentCulture;
        try
        {
            System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
            Assert.Equal("1234.50", NumberText.Fixed(1234.5));
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = culture;
        }
    }
}
