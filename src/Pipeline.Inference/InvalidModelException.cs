namespace Pipeline.Inference;

/// <summary>
/// A model file that cannot be used: not ONNX or truncated, no metadata, a graph that disagrees with its
/// metadata. The message names the file and says what to do; <see cref="FilePath"/> is that file.
/// </summary>
public sealed class InvalidModelException : Exception
{
    public string FilePath { get; }

    /// <summary>The message without the file name.</summary>
    public string Problem { get; }

    public InvalidModelException(string filePath, string problem, Exception? inner = null)
        : base($"{filePath}: {problem}", inner)
    {
        FilePath = filePath;
        Problem = problem;
    }
}
