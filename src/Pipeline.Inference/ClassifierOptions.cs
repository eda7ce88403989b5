namespace Pipeline.Inference;

/// <summary>How an <see cref="ImageClassifier"/> runs its model.</summary>
public sealed record ClassifierOptions
{
    /// <summary>Auto: CUDA when its provider loads and a session starts on it, else the CPU (<see cref="ImageClassifier.Device"/> says why).</summary>
    public ComputeDevice Device { get; init; } = ComputeDevice.Auto;
    public int GpuDeviceId { get; init; }
    /// <summary>ONNX Runtime threads per call; null: one per core. A web server that classifies many requests at once may prefer 1.</summary>
    public int? IntraOpNumThreads { get; init; }
    /// <summary>Images per ONNX Runtime call in <see cref="ImageClassifier.ClassifyBatch(IReadOnlyList{string}, int)"/>; bounds the memory a large batch takes.</summary>
    public int MaxBatchSize { get; init; } = 32;
}
