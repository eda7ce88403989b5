using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Pipeline.Models;

/// <summary>
/// TorchSharp 0.107's BatchNorm forward with the running-batch count's increment passing <see cref="PinnedScalars"/>:
/// the library's <c>num_batches_tracked.add_(1)</c> makes two temporary Scalars per layer per training step, which a
/// garbage collection can free while libtorch reads them (a run then fails with "For integral input tensors, argument
/// alpha must not be a floating point number"). The same parameters, buffers, names and arithmetic as
/// <c>nn.BatchNorm1d</c>/<c>nn.BatchNorm2d</c> (which are sealed): results are bit-identical.
/// </summary>
public abstract class PinnedBatchNorm(long features, string name)
    : BatchNorm(features, eps: 1e-5, momentum: 0.1, affine: true, track_running_stats: true, device: null, dtype: null, name)
{
    public override Tensor forward(Tensor input)
    {
        ValidateInputDimensions(input);
        double averageFactor = momentum ?? 0.0;
        if (training && track_running_stats && num_batches_tracked is not null)
        {
            num_batches_tracked.add_(PinnedScalars.One, PinnedScalars.One);
            averageFactor = momentum ?? 1.0 / (double)num_batches_tracked;
        }
        bool batchStatistics = training || (running_mean is null && running_var is null);
        bool passRunning = !training || track_running_stats;
        return F.batch_norm(input, passRunning ? running_mean : null, passRunning ? running_var : null, weight, bias,
            batchStatistics, averageFactor, eps);
    }
}

/// <summary><c>nn.BatchNorm1d</c> (input N × C or N × C × L), see <see cref="PinnedBatchNorm"/>.</summary>
public sealed class PinnedBatchNorm1d(long features) : PinnedBatchNorm(features, "BatchNorm1d")
{
    protected override void ValidateInputDimensions(Tensor input)
    {
        if (input.ndim is not (2 or 3))
            throw new ArgumentException($"expected 2D or 3D input, but got {input.ndim}D input.");
    }
}

/// <summary><c>nn.BatchNorm2d</c> (input N × C × H × W), see <see cref="PinnedBatchNorm"/>.</summary>
public sealed class PinnedBatchNorm2d(long features) : PinnedBatchNorm(features, "BatchNorm2d")
{
    protected override void ValidateInputDimensions(Tensor input)
    {
        if (input.ndim != 4)
            throw new ArgumentException($"expected 4D input, but got {input.ndim}D input.");
    }
}
