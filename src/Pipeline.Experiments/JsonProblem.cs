using System.Text.Json;
using System.Text.RegularExpressions;

namespace Pipeline.Experiments;

/// <summary>What is wrong with a JSON file, in the file's terms rather than .NET's (a key, a line), for one-line errors.</summary>
public static partial class JsonProblem
{
    /// <summary>"unknown key 'epocs' (line 3)" for a key no field takes; otherwise the serializer's own message, which names the path and line.</summary>
    public static string Describe(JsonException e)
    {
        string line = e.LineNumber is long n ? $" (line {n + 1})" : "";
        return UnmappedKey().Match(e.Message) is { Success: true } m
            ? $"unknown key '{m.Groups[1].Value}'{line}: check its spelling"
            : e.Message;
    }

    [GeneratedRegex("^The JSON property '(.+?)' could not be mapped to any .NET member")]
    private static partial Regex UnmappedKey();
}
