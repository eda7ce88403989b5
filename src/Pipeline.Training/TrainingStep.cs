using Pipeline.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Training;

/// <summary>
/// One optimizer step on one batch, in fp32 or bf16 mixed precision: the trainer's inner loop, shared
/// with the throughput benchmark so both measure the same code.
/// </summary>
public sealed class TrainingStep(ResNet model, optim.Optimizer optimizer, MixedPrecision? mixed, double labelSmoothing)
{
    /// <summary>Forward, backward and update; returns the batch's mean loss (fp32).</summary>
    public float Run(Tensor input, Tensor labels)
    {
        optimizer.zero_grad();
        Tensor loss;
        if (mixed is null)
        {
            loss = nn.functional.cross_entropy(model.forward(input), labels, label_smoothing: labelSmoothing);
            loss.backward();
        }
        else
        {
            using var step = mixed.Begin();
            var logits = mixed.Compute.forward(input.to(MixedPrecision.ComputeType)).to(ScalarType.Float32);
            loss = nn.functional.cross_entropy(logits, labels, label_smoothing: labelSmoothing);
            loss.backward();
        }
        optimizer.step();
        return loss.item<float>();
    }
}
