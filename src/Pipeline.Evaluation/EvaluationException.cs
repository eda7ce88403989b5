namespace Pipeline.Evaluation;

/// <summary>
/// An input the evaluation cannot use (a model, an image, a label). The message names the file
/// and says what to do; <see cref="FilePath"/> is that file.
/// </summary>
public sealed class EvaluationException : Exception
{
    public string FilePath { get; }

    public EvaluationException(string filePath, string message, Exception? inner = null)
        : base($"{filePath}: {message}", inner)
    {
        FilePath = filePath;
    }
}
