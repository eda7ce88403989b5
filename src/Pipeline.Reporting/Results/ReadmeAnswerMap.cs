using Pipeline.Experiments;
using Pipeline.Reporting.Documents;

namespace Pipeline.Reporting.Results;

/// <summary>
/// The answer map at the top of the repository's README: the results page's map (<see cref="AnswerMapSection.Map"/>),
/// written between two marker lines by <c>pipeline results --readme README.md</c>, so that the front door states what
/// the published records give and nothing typed by hand. The text around the markers is the README's own.
/// </summary>
public static class ReadmeAnswerMap
{
    public const string Begin = "<!-- answer map: generated from the published run records by `dotnet cake --target=Results`; do not edit down to the end marker -->";
    public const string End = "<!-- end of the generated answer map -->";

    /// <summary>The map's Markdown for the experiments' results: what goes between the markers.</summary>
    public static string Render(IReadOnlyList<ExperimentResults> results) =>
        MarkdownWriter.Write(new Document(AnswerMapSection.Title, [.. AnswerMapSection.Map(results)]));

    /// <summary>The map as <paramref name="readme"/> holds it now, between its markers.</summary>
    /// <exception cref="InvalidDataException">The markers are missing, repeated or out of order; the message names <paramref name="path"/>.</exception>
    public static string Current(string readme, string path)
    {
        var (start, end) = Markers(readme, path);
        return readme[start..end];
    }

    /// <summary><paramref name="readme"/> with <paramref name="map"/> between its markers, everything else as it was.</summary>
    /// <exception cref="InvalidDataException">The markers are missing, repeated or out of order; the message names <paramref name="path"/>.</exception>
    public static string Splice(string readme, string map, string path)
    {
        if (map.Contains(Begin, StringComparison.Ordinal) || map.Contains(End, StringComparison.Ordinal))
            throw new ArgumentException("the generated answer map holds one of its own marker lines; the next run would find it twice.", nameof(map));
        var (start, end) = Markers(readme, path);
        return readme[..start] + map + readme[end..];
    }

    /// <summary>Rewrites the map in the README at <paramref name="path"/> (atomically, and only when it changed); returns whether it did.</summary>
    /// <exception cref="InvalidDataException">The markers are missing, repeated or out of order; the message names the file.</exception>
    public static bool Update(string path, string map)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: no such README; pass --readme the README whose answer map to rewrite, or leave the option out.", path);
        string readme = File.ReadAllText(path);
        string updated = Splice(readme, map, path);
        if (updated == readme)
            return false;
        AtomicFile.WriteText(path, updated);
        return true;
    }

    /// <summary>Where the map starts (after the begin marker's line) and ends (at the end marker's line).</summary>
    private static (int Start, int End) Markers(string readme, string path)
    {
        int begin = readme.IndexOf(Begin, StringComparison.Ordinal), end = readme.IndexOf(End, StringComparison.Ordinal);
        string fix = $"put the line `{Begin}` where the map goes and the line `{End}` after it, once each, then run the command again.";
        if (begin < 0 || end < 0)
            throw new InvalidDataException($"{path} has no {(begin < 0 ? "begin" : "end")} marker for the generated answer map: {fix}");
        if (readme.IndexOf(Begin, begin + Begin.Length, StringComparison.Ordinal) >= 0 || readme.IndexOf(End, end + End.Length, StringComparison.Ordinal) >= 0)
            throw new InvalidDataException($"{path} has a marker of the generated answer map twice: {fix}");
        int start = readme.IndexOf('\n', begin) + 1;
        if (start == 0 || start > end)
            throw new InvalidDataException($"{path} has the answer map's end marker before its begin marker, or on the same line: {fix}");
        return (start, end);
    }
}
