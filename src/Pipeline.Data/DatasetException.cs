namespace Pipeline.Data;

/// <summary>
/// Bad input in a dataset or an archive. The message names every offending file and says what to do;
/// <see cref="Files"/> lists the same files for callers that want them.
/// </summary>
public sealed class DatasetException(string message, IReadOnlyList<string> files) : Exception(message)
{
    public DatasetException(string message, string file) : this(message, [file]) { }

    public IReadOnlyList<string> Files { get; } = files;

    /// <summary>
    /// One exception for many bad files: a headline, then one line per file (the first
    /// <paramref name="maxLines"/>), so a user fixes them all in one go instead of one per run.
    /// </summary>
    internal static DatasetException ForMany(string headline, IReadOnlyList<(string File, string Problem)> problems, int maxLines = 20)
    {
        // One problem stays on the headline's line, so the usual case is the one-line error the tool promises.
        if (problems.Count == 1)
            return new DatasetException($"{headline} {problems[0].File}: {problems[0].Problem}", [problems[0].File]);
        var lines = problems.Take(maxLines).Select(p => $"  {p.File}: {p.Problem}");
        string more = problems.Count > maxLines ? $"\n  ... and {problems.Count - maxLines} more" : "";
        return new DatasetException($"{headline}\n{string.Join('\n', lines)}{more}", problems.Select(p => p.File).ToList());
    }
}
