namespace Pipeline.Inference;

/// <summary>
/// What an app calls on an <see cref="ImageClassifier"/>: the seam to replace it with a fake in the app's own tests, and
/// what <c>services.AddImageClassifier</c> registers. Implementations are shared by every request, hence thread-safe.
/// Not <see cref="IDisposable"/>: whoever created the classifier (the container, or the code that called
/// <see cref="ImageClassifier.Load"/>) disposes it, not its users.
/// </summary>
public interface IImageClassifier
{
    /// <summary>The model file, as a full path.</summary>
    string ModelPath { get; }
    /// <summary>What the model says about itself: classes, preprocessing, how it was trained.</summary>
    ModelMetadata Metadata { get; }
    /// <summary>The device the model runs on; when Auto fell back to the CPU, <see cref="ExecutionDevice.Description"/> says why.</summary>
    ExecutionDevice Device { get; }

    /// <summary>The <paramref name="topK"/> most probable classes of the image file, most probable first.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">The file is not an image (the message names it).</exception>
    IReadOnlyList<Prediction> Classify(string imagePath, int topK = 5);
    /// <summary>The image in <paramref name="encodedImage"/> (JPEG, PNG, …), as <see cref="Classify(string, int)"/>.</summary>
    IReadOnlyList<Prediction> Classify(byte[] encodedImage, int topK = 5);
    /// <summary>The image read from <paramref name="encodedImage"/> (the stream is read, not closed).</summary>
    IReadOnlyList<Prediction> Classify(Stream encodedImage, int topK = 5);

    /// <summary>Many image files at once: decoded in parallel, scored in batches; results in input order.</summary>
    IReadOnlyList<IReadOnlyList<Prediction>> ClassifyBatch(IReadOnlyList<string> imagePaths, int topK = 5);
    /// <summary>Many encoded images at once; errors name the image by its index.</summary>
    IReadOnlyList<IReadOnlyList<Prediction>> ClassifyBatch(IReadOnlyList<byte[]> encodedImages, int topK = 5);

    /// <summary>
    /// <see cref="Classify(string, int)"/> with the file read asynchronously; <paramref name="cancellationToken"/> stops the
    /// read or the model's run (<see cref="OperationCanceledException"/>).
    /// </summary>
    Task<IReadOnlyList<Prediction>> ClassifyAsync(string imagePath, int topK = 5, CancellationToken cancellationToken = default);
    /// <summary><see cref="Classify(byte[], int)"/>, cancellable.</summary>
    Task<IReadOnlyList<Prediction>> ClassifyAsync(byte[] encodedImage, int topK = 5, CancellationToken cancellationToken = default);
    /// <summary><see cref="Classify(Stream, int)"/> with the stream read asynchronously (an upload's request body), cancellable.</summary>
    Task<IReadOnlyList<Prediction>> ClassifyAsync(Stream encodedImage, int topK = 5, CancellationToken cancellationToken = default);
}
