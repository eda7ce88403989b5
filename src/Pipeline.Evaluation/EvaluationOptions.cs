using Pipeline.Inference;

namespace Pipeline.Evaluation;

public sealed record EvaluationOptions
{
    /// <summary><c>--device auto|cpu|gpu</c>.</summary>
    public ComputeDevice Device { get; init; } = ComputeDevice.Auto;
    public int GpuDeviceId { get; init; } = 0;
    /// <summary>
    /// ONNX Runtime threads per session. ML.NET already scores rows on parallel cursors (one per core), so one
    /// intra-op thread each avoids oversubscription: on 2 cores, ResNet18 at 128 px went from about 35 to about
    /// 50 images/s (busy machine). <c>new OnnxThreading()</c> leaves ONNX Runtime's defaults.
    /// </summary>
    public OnnxThreading Threading { get; init; } = new(IntraOpNumThreads: 1, InterOpNumThreads: 1);
    /// <summary>Gap between ML.NET's top-1 and the trainer's val top-1 above which the agreement check flags a model.</summary>
    public double AgreementTolerancePp { get; init; } = 1.0;
    /// <summary>The evaluating tool's version, recorded with each run in the history; this repository's tools pass their build's.</summary>
    public string ProjectVersion { get; init; } = "";
}
