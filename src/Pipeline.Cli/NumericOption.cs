using System.CommandLine;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace Pipeline.Cli;

/// <summary>The bounds a numeric option's values must lie within.</summary>
public sealed record NumericRange(double Min, double Max);

/// <summary>
/// The one rule every numeric option of every command follows: a value below the option's minimum (a count below
/// 1, a negative amount) or above its maximum is a parse error (exit 2) with one message form naming the option, the
/// bound and the value, rather than a failure deep inside a command (an empty split scored as NaN, a batch of 0).
/// </summary>
public static class NumericOption
{
    private static readonly ConditionalWeakTable<Option, NumericRange> s_ranges = [];

    public static Option<T> Within<T>(this Option<T> option, double min, double max)
    {
        var range = new NumericRange(min, max);
        s_ranges.AddOrUpdate(option, range);
        option.Validators.Add(result =>
        {
            T? parsed;
            try
            {
                parsed = result.GetValueOrDefault<T>();
            }
            catch (InvalidOperationException)
            {
                return; // a value that does not parse ("five"): the parser's own error says so, and there is no number to check
            }
            if (parsed is not { } value)
                return;
            if (Problem(option.Name, Convert.ToDouble(value, CultureInfo.InvariantCulture), range) is { } problem)
                result.AddError(problem);
        });
        return option;
    }

    /// <summary>The option's bounds, or null when it was built without <see cref="Within"/>.</summary>
    public static NumericRange? RangeOf(Option option) => s_ranges.TryGetValue(option, out var range) ? range : null;

    /// <summary>The message for a value outside the range, or null when it is within.</summary>
    public static string? Problem(string name, double value, NumericRange range)
    {
        string Text(double v) => v.ToString(CultureInfo.InvariantCulture);
        return value < range.Min ? $"{name} must be at least {Text(range.Min)} (is {Text(value)})."
            : value > range.Max ? $"{name} must be at most {Text(range.Max)} (is {Text(value)})."
            : null;
    }
}
