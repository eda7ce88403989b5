namespace Pipeline.Cli.Tests;

public sealed class DurationTextTests
{
    [Theory]
    [InlineData(0, "00:00:00")]
    [InlineData(51 * 60 + 11, "00:51:11")]
    [InlineData(26 * 3600 + 4 * 60 + 12, "26:04:12")] // an experiment a day and more from its end: "hh" would print 02:04:12
    [InlineData(123 * 3600, "123:00:00")]
    [InlineData(-5, "00:00:00")]
    public void Hours_are_counted_past_a_day(int seconds, string expected) =>
        Assert.Equal(expected, DurationText.Of(TimeSpan.FromSeconds(seconds)));
}
