namespace Pipeline.Evaluation;

/// <summary>
/// An input the evaluation cannot use (a model, an image, a label). The message names the file
/// and says what to do; <see cref="FilePath"/> is that file.
/// </summary>
public sealed class EvaluationException : Exception
{
    public string FilePath { get; }

    public EvaluationException(string filePath, string message, Exception? inner = null)
        : this(filePath, inner, $"{filePath}: {message}")
    {
    }

    private EvaluationException(string filePath, Exception? inner, string fullMessage)
        : base(fullMessage, inner)
    {
        FilePath = filePath;
    }

    /// <summary>
    /// One exception for several unusable inputs, each on its own line, so one run names them all; a single one is
    /// returned as it is. <see cref="FilePath"/> is the first.
    /// </summary>
    public static EvaluationException ForMany(IReadOnlyList<EvaluationException> problems, string headline)
    {
        ArgumentOutOfRangeException.ThrowIfZero(problems.Count);
        if (problems.Count == 1)
            return problems[0];
        return new EvaluationException(problems[0].FilePath, problems[0],
            $"{problems.Count} {headline}:\n" + string.Join('\n', problems.Select(p => "  " + p.Message)));
    }
}
