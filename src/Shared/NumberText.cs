using System.Globalization;

namespace Pipeline;

/// <summary>
/// How the project writes a number for people, everywhere (results page, reports, the answer, the console): the
/// invariant culture, a true minus sign (U+2212, as typeset; never the hyphen), and a dash for what is not a number
/// (NaN, infinity: undefined, or never recorded).
/// </summary>
/// <remarks>
/// One file, compiled (internal) into each project that writes numbers for people (<c>src/Shared</c>): the
/// evaluation side must not reference the experiments' project for a formatter, and no library is the common base of both.
/// </remarks>
internal static class NumberText
{
    public const string Minus = "\u2212";

    /// <summary>What a number that is not one (NaN, ±∞) is written as.</summary>
    public const string Missing = "–";

    private static readonly NumberFormatInfo Invariant = CreateFormat();

    private static NumberFormatInfo CreateFormat()
    {
        var format = (NumberFormatInfo)CultureInfo.InvariantCulture.NumberFormat.Clone();
        format.NegativeSign = Minus;
        return NumberFormatInfo.ReadOnly(format);
    }

    /// <summary><paramref name="value"/> in a .NET custom format (<c>"0.00"</c>, <c>"0.#"</c>, <c>"N0"</c>, <c>"0.0 %"</c>).</summary>
    public static string Fixed(double value, string format = "0.00") =>
        double.IsFinite(value) ? value.ToString(format, Invariant) : Missing;

    /// <summary>A difference, its sign always shown: <c>+1.25</c>, <c>−0.40</c>, and <c>0.00</c> for what rounds to zero.</summary>
    /// <param name="digits">The format of the magnitude: <c>"0.00"</c>, <c>"0.0"</c>.</param>
    public static string Signed(double value, string digits = "0.00") =>
        Fixed(value, $"+{digits};{Minus}{digits};{digits}");

    /// <summary>A fraction (0.7331) as a percentage without the sign: <c>73.31</c>.</summary>
    public static string Percent(double fraction) => Fixed(fraction * 100);
}
