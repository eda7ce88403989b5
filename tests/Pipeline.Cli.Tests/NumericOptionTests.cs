using System.CommandLine;
using System.Globalization;

namespace Pipeline.Cli.Tests;

/// <summary>
/// Every numeric option of every command, found by walking the command tree (a new option is covered without being
/// listed here): each has a range, and a value outside it is refused at parse time with the one message form.
/// </summary>
public sealed class NumericOptionTests
{
    private static readonly Type[] s_numeric = [typeof(int), typeof(long), typeof(double), typeof(float)];

    private static IEnumerable<(string CommandLine, Option Option)> NumericOptions(Command command, string path)
    {
        foreach (var option in command.Options.Where(o => s_numeric.Contains(Nullable.GetUnderlyingType(o.ValueType) ?? o.ValueType)))
            yield return (path, option);
        foreach (var sub in command.Subcommands)
            foreach (var found in NumericOptions(sub, $"{path} {sub.Name}".Trim()))
                yield return found;
    }

    private static readonly IReadOnlyList<(string CommandLine, Option Option)> s_all = NumericOptions(CliRoot.Create(), "").ToArray();

    private static string Text(double v) => v.ToString(CultureInfo.InvariantCulture);

    private static IReadOnlyList<string> Errors(string commandLine) =>
        CliRoot.Create().Parse(commandLine).Errors.Select(e => e.Message).ToArray();

    [Fact]
    public void The_walk_finds_the_numeric_options_of_nested_commands_too()
    {
        Assert.Contains(s_all, o => o.CommandLine == "train" && o.Option.Name == "--epochs");
        Assert.Contains(s_all, o => o.CommandLine == "history pin" && o.Option.Name == "--record");
        Assert.True(s_all.Count >= 15, $"found only {s_all.Count} numeric options");
    }

    [Fact]
    public void Every_numeric_option_of_every_command_has_a_range()
    {
        var unbounded = s_all.Where(o => NumericOption.RangeOf(o.Option) is null).Select(o => $"{o.CommandLine} {o.Option.Name}").ToArray();
        Assert.True(unbounded.Length == 0, "numeric options without a range (build them with .Within(min, max)): " + string.Join(", ", unbounded));
    }

    [Fact]
    public void A_value_below_the_minimum_or_above_the_maximum_is_refused_with_one_message_form()
    {
        foreach (var (commandLine, option) in s_all)
        {
            var range = NumericOption.RangeOf(option)!;
            double below = range.Min - 1;
            Assert.Contains($"{option.Name} must be at least {Text(range.Min)} (is {Text(below)}).", Errors($"{commandLine} {option.Name}={Text(below)}"));
            Assert.DoesNotContain(Errors($"{commandLine} {option.Name}={Text(range.Min)}"), e => e.Contains(option.Name, StringComparison.Ordinal));
            bool representableAbove = (Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType) switch
            {
                var t when t == typeof(int) => range.Max < int.MaxValue,
                var t when t == typeof(long) => range.Max < long.MaxValue,
                _ => true,
            };
            if (representableAbove)
                Assert.Contains($"{option.Name} must be at most {Text(range.Max)} (is {Text(range.Max + 1)}).", Errors($"{commandLine} {option.Name}={Text(range.Max + 1)}"));
        }
    }
}
