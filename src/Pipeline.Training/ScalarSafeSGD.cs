using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Training;

/// <summary>
/// TorchSharp 0.107's SGD step (momentum, optionally Nesterov, L2 weight decay) with every <see cref="Scalar"/> it
/// hands libtorch owned until the native call returns, for the reason <see cref="ScalarSafeAdamW"/> gives. The same
/// operations in the same order on the same values: bit-identical to the library's, with the library's state.
/// </summary>
internal sealed class ScalarSafeSGD(IEnumerable<SGD.ParamGroup> groups, double lr, double momentum, double weightDecay, bool nesterov)
    : SGD(groups, lr, momentum, dampening: 0, weightDecay, nesterov, maximize: false)
{
    public override Tensor step(Func<Tensor>? closure = null) =>
        _step<ParamGroup>(group =>
        {
            var options = group.Options;
            double momentum = options.momentum!.Value, weightDecay = options.weight_decay!.Value;
            using Scalar decay = weightDecay, keep = momentum, take = 1 - options.dampening!.Value,
                descent = -options.LearningRate!.Value;
            foreach (var param in group.Parameters)
            {
                var grad = param.grad;
                if (grad is null)
                    continue;
                var state = (State)_state[param.Handle];
                if (weightDecay != 0)
                    grad = grad.add(param, decay);
                if (momentum != 0)
                {
                    var buffer = state.momentum_buffer;
                    if (buffer is null)
                        buffer = grad.clone().detach().DetachFromDisposeScope();
                    else
                        buffer.mul_(keep).add_(grad, take);
                    state.momentum_buffer = buffer;
                    grad = options.nesterov!.Value ? grad.add(buffer, keep) : buffer;
                }
                param.add_(grad, descent);
            }
        }, closure);
}
