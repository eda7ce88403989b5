using System.Text.RegularExpressions;

namespace Pipeline.Cli.Tests;

/// <summary>What a sweep worker printed about its work: a <c>trained &lt;run&gt;</c> line for each run it trained to the end.</summary>
public static partial class WorkerOutput
{
    [GeneratedRegex(@"^trained (\S+)$", RegexOptions.Multiline)]
    private static partial Regex TrainedLine();

    /// <summary>The runs the worker trained, in its order.</summary>
    public static IReadOnlyList<string> Trained(string output) => TrainedLine().Matches(output).Select(m => m.Groups[1].Value).ToArray();
}
