using System.Globalization;

namespace Pipeline.Cli;

/// <summary>A time left as hours:minutes:seconds with the hours counted past a day ("26:04:12"), where a TimeSpan's "hh" would drop the day and read "02:04:12".</summary>
internal static class DurationText
{
    public static string Of(TimeSpan t) => t < TimeSpan.Zero
        ? "00:00:00"
        : string.Create(CultureInfo.InvariantCulture, $"{(long)t.TotalHours:00}:{t.Minutes:00}:{t.Seconds:00}");
}
