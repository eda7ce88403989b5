namespace Pipeline.Data;

/// <summary>
/// Every image of a list decoded once with the strict decoder (<see cref="ImageDecoder.Check"/>, the decoder the
/// cache build uses), for the commands that read images without that cache: `data verify` and the ML.NET
/// evaluation, whose SkiaSharp decode would score a damaged JPEG's grey-filled remains without a word.
/// </summary>
public static class ImageCheck
{
    /// <exception cref="DatasetException">Some images cannot be decoded; the message lists them all.</exception>
    public static void ThrowIfAnyUndecodable(IReadOnlyList<LabeledImage> images, IProgress<int>? progress = null, CancellationToken ct = default)
    {
        var problems = new List<(string File, string Problem)>();
        int done = 0;
        var options = new ParallelOptions { CancellationToken = ct, MaxDegreeOfParallelism = Environment.ProcessorCount };
        Parallel.For(0, images.Count, options, i =>
        {
            if (ImageDecoder.Check(images[i].Path) is { } problem)
            {
                lock (problems)
                    problems.Add((images[i].Path, problem));
            }
            progress?.Report(Interlocked.Increment(ref done));
        });
        if (problems.Count > 0)
        {
            problems.Sort((a, b) => string.CompareOrdinal(a.File, b.File));
            throw DatasetException.ForMany($"{problems.Count} image(s) cannot be decoded:", problems);
        }
    }
}
