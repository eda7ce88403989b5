namespace Pipeline.Evaluation;

public sealed record EvaluationOptions
{
    /// <summary><c>--device auto|cpu|gpu</c>.</summary>
    public ComputeDevice Device { get; init; } = ComputeDevice.Auto;
    public int GpuDeviceId { get; init; } = 0;
    public OnnxThreading Threading { get; init; } = new();
    /// <summary>Gap between ML.NET's top-1 and the trainer's val top-1 above which the agreement check flags a model.</summary>
    public double AgreementTolerancePp { get; init; } = 1.0;
}
