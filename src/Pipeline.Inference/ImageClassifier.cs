using System.Runtime.ExceptionServices;
using Microsoft.ML.OnnxRuntime;
using SkiaSharp;

namespace Pipeline.Inference;

/// <summary>
/// Classifies images with a model exported by this project. Everything it needs (class names, input size,
/// crop, normalisation) comes from the model's own metadata; images are preprocessed exactly as the
/// project's ML.NET evaluation does it. Load once and share: every method is safe to call from many threads
/// at once (ONNX Runtime sessions are), as a web server does.
/// </summary>
/// <example>
/// <code>
/// using var classifier = ImageClassifier.Load("models/reference-torchvision.onnx");
/// foreach (var p in classifier.Classify("dog.jpg", topK: 3))
///     Console.WriteLine($"{p.ClassName}: {p.Probability:P1}");
/// </code>
/// </example>
public sealed class ImageClassifier : IDisposable
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
    /// <exception cref="InvalidModelException">The file is missing, not ONNX, has no metadata, or disagrees with it.</exception>
    /// <exception cref="InvalidOperationException">The GPU was required (<see cref="ComputeDevice.Gpu"/>) and CUDA cannot run it.</exception>
    public static ImageClassifier Load(string modelPath, ClassifierOptions? options = null)
    {
        options ??= new ClassifierOptions();
        if (options.MaxBatchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxBatchSize, "MaxBatchSize must be at least 1.");
        string path = Path.GetFullPath(modelPath);
        var requested = ExecutionDevice.Select(options.Device, options.GpuDeviceId);
        var (session, device) = OnnxModelFile.Open(path, requested, o =>
        {
            o.GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL;
            if (options.IntraOpNumThreads is int threads)
                o.IntraOpNumThreads = threads;
        });
        try
        {
            if (options.Device == ComputeDevice.Gpu && !device.IsGpu)
                throw new InvalidOperationException($"{path}: the GPU was required but the model would run on {device.Description}. Ask for ComputeDevice.Auto or Cpu to allow that.");
            var metadata = OnnxModelFile.ReadMetadata(session, path);
            OnnxModelFile.CheckMetadata(metadata, path);
            OnnxModelFile.CheckGraph(session, metadata, path);
            if (metadata.ResizePolicy != "IsoCrop")
                throw new InvalidModelException(path, $"resize policy '{metadata.ResizePolicy}' is not supported by the inference library (IsoCrop only); re-export the model.");
            return new ImageClassifier(path, session, metadata, device, options.MaxBatchSize);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>The <paramref name="topK"/> most probable classes of the image file, most probable first.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">The file is not an image (the message names it).</exception>
    public IReadOnlyList<Prediction> Classify(string imagePath, int topK = 5) => ClassifyBatch([imagePath], topK)[0];

    /// <summary>The image in <paramref name="encodedImage"/> (JPEG, PNG, …), as <see cref="Classify(string, int)"/>.</summary>
    public IReadOnlyList<Prediction> Classify(byte[] encodedImage, int topK = 5) => ClassifyBatch([encodedImage], topK)[0];

    /// <summary>The image read from <paramref name="encodedImage"/> (the stream is read, not closed).</summary>
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

    /// <summary>
    /// The class probabilities for images already preprocessed as the model expects (planar RGB floats in 0..255,
    /// [count, 3, InputHeight, InputWidth]); for callers that decode and resize themselves.
    /// </summary>
    public float[] Probabilities(ReadOnlySpan<float> pixels, int count)
    {
        if (count < 1 || pixels.Length != count * _imageFloats)
            throw new ArgumentException($"{count} image(s) of 3×{Metadata.InputHeight}×{Metadata.InputWidth} need {count * _imageFloats} floats, not {pixels.Length}.", nameof(pixels));
        return Run(pixels.ToArray(), count);
    }

    /// <summary>One ONNX Runtime call on <paramref name="pixels"/> as they are (no copy): the probabilities, image after image.</summary>
    private float[] Run(float[] pixels, int count)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, [count, 3, Metadata.InputHeight, Metadata.InputWidth]);
        using var runOptions = new RunOptions();
        using var outputs = _session.Run(runOptions, [ModelMetadata.InputName], [input], [ModelMetadata.ProbabilitiesName]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private IReadOnlyList<Prediction>[] Score(int count, Func<int, SKBitmap> decode, int topK)
    {
        if (topK < 1)
            throw new ArgumentOutOfRangeException(nameof(topK), topK, "topK must be at least 1.");
        int classes = Metadata.Classes.Count;
        var results = new IReadOnlyList<Prediction>[count];
        for (int start = 0; start < count; start += _maxBatchSize)
        {
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
            var probabilities = Run(pixels, n);
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
