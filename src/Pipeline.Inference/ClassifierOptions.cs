namespace Pipeline.Inference;

/// <summary>
/// How an <see cref="ImageClassifier"/> runs its model. Settable, so the options pattern can fill it
/// (<c>services.AddImageClassifier(path, o => o.Device = ComputeDevice.Cpu)</c>, or <c>services.Configure&lt;ClassifierOptions&gt;(section)</c>).
/// </summary>
public sealed record ClassifierOptions
{
    /// <summary>Auto: CUDA when its provider loads and a session starts on it, else the CPU (<see cref="ImageClassifier.Device"/> says why).</summary>
    public ComputeDevice Device { get; set; } = ComputeDevice.Auto;
    public int GpuDeviceId { get; set; }
    /// <summary>ONNX Runtime threads per call; null: one per core. A web server that classifies many requests at once may prefer 1.</summary>
    public int? IntraOpNumThreads { get; set; }
    /// <summary>Images per ONNX Runtime call in <see cref="ImageClassifier.ClassifyBatch(IReadOnlyList{string}, int)"/>; bounds the memory a large batch takes.</summary>
    public int MaxBatchSize { get; set; } = 32;
}
