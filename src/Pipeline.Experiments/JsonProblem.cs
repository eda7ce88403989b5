using System.Text.Json;
using System.Text.RegularExpressions;

namespace Pipeline.Experiments;

/// <summary>What is wrong with a JSON file, in the file's terms rather than .NET's (a key, a line), for one-line errors.</summary>
public static partial class JsonProblem
{
    /// <summary>
    /// "unknown key 'epocs' (line 3)" for a key no field takes, "key 'name' is given twice (line 1)" for a repeated one;
    /// otherwise the serializer's own message, which names the path and line.
    /// </summary>
    public static string Describe(JsonException e)
    {
        string line = e.LineNumber is long n ? $" (line {n + 1})" : "";
        if (UnmappedKey().Match(e.Message) is { Success: true } unknown)
            return $"unknown key '{unknown.Groups[1].Value}'{line}: check its spelling";
        if (e.Message.StartsWith("Duplicate propert", StringComparison.Ordinal))
        {
            string key = DuplicateKey().Match(e.Message) is { Success: true } named ? $"key '{named.Groups[1].Value}'" : e.Path is { } path ? $"key {path}" : "a key";
            return $"{key} is given twice{line}: keep the one you mean";
        }
        return e.Message;
    }

    [GeneratedRegex("^The JSON property '(.+?)' could not be mapped to any .NET member")]
    private static partial Regex UnmappedKey();

    [GeneratedRegex("^Duplicate property '(.+?)'")]
    private static partial Regex DuplicateKey();
}
