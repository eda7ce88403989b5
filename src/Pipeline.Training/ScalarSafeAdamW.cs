using Pipeline.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Training;

/// <summary>
/// TorchSharp 0.107's AdamW step with every <see cref="Scalar"/> it hands libtorch owned until the native call
/// returns. The library's step converts each hyper-parameter implicitly (<c>mul_(beta1)</c>, <c>add_(eps)</c>, …),
/// about six temporaries per parameter per step, any of which a garbage collection can free while libtorch reads it
/// (see <see cref="PinnedScalars"/>). The same operations in the same order on the same values and types: results
/// are bit-identical to the library's, and the state (so the checkpoint format) is the library's own.
/// </summary>
internal sealed class ScalarSafeAdamW(IEnumerable<AdamW.ParamGroup> groups, double lr, double beta1, double beta2, double eps, double weightDecay)
    : AdamW(groups, lr, beta1, beta2, eps, weightDecay, amsgrad: false, maximize: false)
{
    public override Tensor step(Func<Tensor>? closure = null) =>
        _step<ParamGroup>(group =>
        {
            var options = (Options)group.Options;
            double beta1 = options.beta1!.Value, beta2 = options.beta2!.Value, lr = options.LearningRate!.Value;
            using Scalar decay = 1 - lr * options.weight_decay!.Value, keep1 = beta1, take1 = 1 - beta1,
                keep2 = beta2, take2 = 1 - beta2, eps = options.eps!.Value;
            foreach (var param in group.Parameters)
            {
                var grad = param.grad;
                if (grad is null)
                    continue;
                var state = (State)_state[param.Handle];
                state.step += 1;
                param.mul_(decay);

                double biasCorrection1 = 1 - Math.Pow(beta1, state.step), biasCorrection2 = 1 - Math.Pow(beta2, state.step);
                state.exp_avg.mul_(keep1).add_(grad, take1);
                state.exp_avg_sq.mul_(keep2).addcmul_(grad, grad, take2);

                using Scalar sqrtBiasCorrection2 = Math.Sqrt(biasCorrection2), stepSize = -(lr / biasCorrection1);
                var denominator = state.exp_avg_sq.sqrt().div(sqrtBiasCorrection2).add_(eps, PinnedScalars.One);
                param.addcdiv_(state.exp_avg, denominator, stepSize);
            }
        }, closure);
}
