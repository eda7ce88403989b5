using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using SkiaSharp;

namespace Pipeline.Inference;

/// <summary>
/// Classifies images with a model exported by this project. Everything it needs (class names, input size,
/// crop, normalisation) comes from the model's own metadata; images are preprocessed exactly as the
/// project's ML.NET evaluation does it. Load once and share: every method is safe to call from many threads
/// at once (ONNX Runtime sessions are), as a web server does; in an app with a service container,
/// <c>services.AddImageClassifier(path)</c> registers one shared instance as <see cref="IImageClassifier"/>.
/// </summary>
/// <example>
/// <code>
/// using var classifier = ImageClassifier.Load("models/reference-torchvision.onnx");
/// foreach (var p in classifier.Classify("dog.jpg", topK: 3))
///     Console.WriteLine($"{p.ClassName}: {p.Probability:P1}");
/// </code>
/// </example>
public sealed partial class ImageClassifier : IImageClassifier, IDisposable
{
    private readonly InferenceSession _session;
    private readonly int _maxBatchSize;
    private readonly int _imageFloats;

    /// <summary>The model file, as a full path.</summary>
    public string ModelPath { get; }
    /// <summary>What the model says about itself: classes, preprocessing, how it was trained.</summary>
    public ModelMetadata Metadata { get; }
    /// <summary>The device the model runs on; when Auto fell back to the CPU, <see cref="ExecutionDevice.Description"/> says why.</summary>
    public ExecutionDevice Device { get; }

    private ImageClassifier(string path, InferenceSession session, ModelMetadata metadata, ExecutionDevice device, int maxBatchSize)
    {
        ModelPath = path;
        _session = session;
        Metadata = metadata;
        Device = device;
        _maxBatchSize = maxBatchSize;
        _imageFloats = 3 * metadata.InputWidth * metadata.InputHeight;
    }

    /// <summary>Opens <paramref name="modelPath"/> and checks it against its metadata.</summary>
    /// <param name="modelPath">The .onnx file.</param>
    /// <param name="options">Device, threads, batch size; null: the defaults.</param>
    /// <param name="logger">Where the device chosen (and why) and the load go; null: nowhere.</param>
    /// <exception cref="InvalidModelException">The file is missing, not ONNX, has no metadata, or disagrees with it.</exception>
    /// <exception cref="InvalidOperationException">The GPU was required (<see cref="ComputeDevice.Gpu"/>) and CUDA cannot run it;
    /// or the app has no ONNX Runtime native library (it references neither the .Cpu nor the .Gpu package).</exception>
    public static ImageClassifier Load(string modelPath, ClassifierOptions? options = null, ILogger? logger = null)
    {
        options ??= new ClassifierOptions();
        logger ??= NullLogger.Instance;
        if (options.MaxBatchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxBatchSize, "MaxBatchSize must be at least 1.");
        var clock = Stopwatch.StartNew();
        string path = Path.GetFullPath(modelPath);
        var selected = ExecutionDevice.Select(options.Device, options.GpuDeviceId);
        var (session, device) = OnnxModelFile.Open(path, selected, o =>
        {
            o.GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL;
            // An app's stderr gets ONNX Runtime's errors, not its routine warnings (on CUDA: which nodes stay on the CPU).
            o.LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR;
            if (options.IntraOpNumThreads is int threads)
                o.IntraOpNumThreads = threads;
        });
        try
        {
            if (options.Device == ComputeDevice.Gpu && !device.IsGpu)
                throw new InvalidOperationException($"{path}: the GPU was required but the model would run on {device.Description}. Ask for ComputeDevice.Auto or Cpu to allow that.");
            var metadata = OnnxModelFile.ReadChecked(session, path);
            if (metadata.ResizePolicy != "IsoCrop")
                throw new InvalidModelException(path, $"resize policy '{metadata.ResizePolicy}' is not supported by the inference library (IsoCrop only); re-export the model.");
            if (selected.IsGpu && !device.IsGpu)
                LogCudaSessionFailed(logger, path, device.Description);
            else
                LogDevice(logger, path, device.Description, options.Device);
            LogLoaded(logger, path, clock.ElapsedMilliseconds, metadata.Flavour, metadata.Classes.Count, metadata.InputWidth, metadata.InputHeight);
            return new ImageClassifier(path, session, metadata, device, options.MaxBatchSize);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    [LoggerMessage(1, LogLevel.Information, "{ModelPath} runs on {Device} (asked for {Requested})")]
    private static partial void LogDevice(ILogger logger, string modelPath, string device, ComputeDevice requested);

    [LoggerMessage(2, LogLevel.Warning, "{ModelPath} runs on {Device}: CUDA's provider loaded but its session did not start (driver, GPU or cuDNN)")]
    private static partial void LogCudaSessionFailed(ILogger logger, string modelPath, string device);

    [LoggerMessage(3, LogLevel.Information, "Loaded {ModelPath} in {ElapsedMs} ms ({Flavour} flavour, {ClassCount} classes, input {Width}x{Height})")]
    private static partial void LogLoaded(ILogger logger, string modelPath, long elapsedMs, string flavour, int classCount, int width, int height);

    /// <inheritdoc/>
    public IReadOnlyList<Prediction> Classify(string imagePath, int topK = 5) => ClassifyBatch([imagePath], topK)[0];

    /// <inheritdoc/>
    public IReadOnlyList<Prediction> Classify(byte[] encodedImage, int topK = 5) => ClassifyBatch([encodedImage], topK)[0];

    /// <inheritdoc/>
    public IReadOnlyList<Prediction> Classify(Stream encodedImage, int topK = 5)
    {
        ArgumentNullException.ThrowIfNull(encodedImage);
        return Score(1, _ => ImagePreprocessing.Decode(encodedImage, "the image stream"), topK)[0];
    }

    /// <summary>Many image files at once: decoded in parallel, scored in batches of <see cref="ClassifierOptions.MaxBatchSize"/>; results in input order.</summary>
    public IReadOnlyList<IReadOnlyList<Prediction>> ClassifyBatch(IReadOnlyList<string> imagePaths, int topK = 5)
    {
        ArgumentNullException.ThrowIfNull(imagePaths);
        return Score(imagePaths.Count, i => ImagePreprocessing.DecodeFile(imagePaths[i]), topK);
    }

    /// <summary>Many encoded images at once, as <see cref="ClassifyBatch(IReadOnlyList{string}, int)"/>; errors name the image by its index.</summary>
    public IReadOnlyList<IReadOnlyList<Prediction>> ClassifyBatch(IReadOnlyList<byte[]> encodedImages, int topK = 5)
    {
        ArgumentNullException.ThrowIfNull(encodedImages);
        return Score(encodedImages.Count, i => ImagePreprocessing.Decode(encodedImages[i], $"image {i} of the batch"), topK);
    }

    // The async forms read asynchronously (the I/O a server waits on), then decode and score on the calling thread:
    // that work is CPU-bound, and handing it to another pool thread (Task.Run) would only add a switch.

    /// <inheritdoc/>
    public Task<IReadOnlyList<Prediction>> ClassifyAsync(string imagePath, int topK = 5, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(imagePath);
        return ScoreOneAsync(async ct =>
        {
            if (!File.Exists(imagePath))
                throw ImagePreprocessing.NoSuchFile(imagePath);
            return await File.ReadAllBytesAsync(imagePath, ct).ConfigureAwait(false);
        }, imagePath, topK, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<Prediction>> ClassifyAsync(byte[] encodedImage, int topK = 5, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(encodedImage);
        return ScoreOneAsync(_ => Task.FromResult<ReadOnlyMemory<byte>>(encodedImage), "the image", topK, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<Prediction>> ClassifyAsync(Stream encodedImage, int topK = 5, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(encodedImage);
        return ScoreOneAsync(async ct =>
        {
            var buffer = new MemoryStream();
            await encodedImage.CopyToAsync(buffer, ct).ConfigureAwait(false);
            return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        }, "the image stream", topK, cancellationToken);
    }

    private async Task<IReadOnlyList<Prediction>> ScoreOneAsync(Func<CancellationToken, Task<ReadOnlyMemory<byte>>> read, string source, int topK, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var encoded = await read(cancellationToken).ConfigureAwait(false);
        return Score(1, _ => ImagePreprocessing.Decode(encoded.Span, source), topK, cancellationToken)[0];
    }

    /// <summary>
    /// The class probabilities for images already preprocessed as the model expects (planar RGB floats in 0..255,
    /// [count, 3, InputHeight, InputWidth]); for callers that decode and resize themselves.
    /// </summary>
    public float[] Probabilities(ReadOnlySpan<float> pixels, int count)
    {
        if (count < 1 || pixels.Length != count * _imageFloats)
            throw new ArgumentException($"{count} image(s) of 3×{Metadata.InputHeight}×{Metadata.InputWidth} need {count * _imageFloats} floats, not {pixels.Length}.", nameof(pixels));
        return Run(pixels.ToArray(), count, CancellationToken.None);
    }

    /// <summary>
    /// One ONNX Runtime call on <paramref name="pixels"/> as they are (no copy): the probabilities, image after image.
    /// <paramref name="cancellationToken"/> sets the run's terminate flag, which stops ONNX Runtime between kernels.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> stopped the run.</exception>
    internal float[] Run(float[] pixels, int count, CancellationToken cancellationToken)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, [count, 3, Metadata.InputHeight, Metadata.InputWidth]);
        using var runOptions = new RunOptions();
        // Disposed before runOptions: a cancellation arriving now waits for the callback rather than touching a freed handle.
        using var terminate = cancellationToken.Register(() => runOptions.Terminate = true);
        try
        {
            using var outputs = _session.Run(runOptions, [ModelMetadata.InputName], [input], [ModelMetadata.ProbabilitiesName]);
            return outputs[0].GetTensorDataAsSpan<float>().ToArray();
        }
        catch (OnnxRuntimeException ex) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException($"Classifying with {ModelPath} was cancelled.", ex, cancellationToken);
        }
    }

    private IReadOnlyList<Prediction>[] Score(int count, Func<int, SKBitmap> decode, int topK, CancellationToken cancellationToken = default)
    {
        if (topK < 1)
            throw new ArgumentOutOfRangeException(nameof(topK), topK, "topK must be at least 1.");
        int classes = Metadata.Classes.Count;
        var results = new IReadOnlyList<Prediction>[count];
        for (int start = 0; start < count; start += _maxBatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int n = Math.Min(_maxBatchSize, count - start);
            var pixels = new float[n * _imageFloats];
            var failures = new ExceptionDispatchInfo?[n];
            Parallel.For(0, n, i =>
            {
                try
                {
                    using var image = decode(start + i);
                    ImagePreprocessing.WritePixels(image, Metadata.InputWidth, Metadata.InputHeight, pixels.AsSpan(i * _imageFloats, _imageFloats));
                }
                catch (Exception ex)
                {
                    failures[i] = ExceptionDispatchInfo.Capture(ex);
                }
            });
            // The first bad image in input order, as itself: callers catch InvalidDataException, not AggregateException.
            Array.Find(failures, f => f is not null)?.Throw();
            var probabilities = Run(pixels, n, cancellationToken);
            for (int i = 0; i < n; i++)
                results[start + i] = TopK(probabilities.AsSpan(i * classes, classes), topK);
        }
        return results;
    }

    private Prediction[] TopK(ReadOnlySpan<float> probabilities, int k)
    {
        var order = new int[probabilities.Length];
        for (int i = 0; i < order.Length; i++)
            order[i] = i;
        var keys = probabilities.ToArray();
        // Descending by probability; ties keep the lower index first, as argmax does.
        Array.Sort(order, (a, b) => keys[b].CompareTo(keys[a]) is var c && c != 0 ? c : a.CompareTo(b));
        return order.Take(Math.Min(k, order.Length))
            .Select(i => new Prediction(i, Metadata.Classes[i].Id, Metadata.Classes[i].Name, keys[i]))
            .ToArray();
    }

    public void Dispose() => _session.Dispose();
}
