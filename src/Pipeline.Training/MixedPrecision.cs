using Pipeline.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Training;

/// <summary>
/// bf16 mixed precision without autocast (TorchSharp 0.107 has none). A compute copy of the model holds
/// its conv and linear weights in bf16; BatchNorm stays fp32 (libtorch's CPU batch norm takes bf16 input
/// with fp32 weights). Each step copies the fp32 master weights into it, runs forward and backward there,
/// then hands the gradients back to the master parameters in fp32, with the BatchNorm statistics. The
/// optimizer, its state and the loss stay fp32. Validation runs on the compute copy too (<see cref="EvalCopy"/>),
/// as fast as the training forward pass; checkpoints, the dynamics probe and export use the fp32 master.
/// (Swapping parameters in place is not possible: TorchSharp's weight setters dispose the old tensor.)
/// </summary>
public sealed class MixedPrecision : IDisposable
{
    private readonly ResNet _compute;
    private readonly (Parameter Master, Parameter Compute)[] _parameters;
    private readonly (Tensor Master, Tensor Compute)[] _buffers;

    public static ScalarType ComputeType => ScalarType.BFloat16;

    public MixedPrecision(ResNet master, bool channelsLast)
    {
        // Building the copy must not move libtorch's RNG: runs stay comparable with fp32 ones.
        using var rng = torch.get_rng_state();
        _compute = ResNet.Create(master.Config);
        torch.set_rng_state(rng);
        foreach (var module in _compute.modules().Where(m => m is Conv2d or Linear))
            module.to(ComputeType);
        if (channelsLast)
            MemoryFormat.ToChannelsLast(_compute);

        var computeParameters = _compute.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        _parameters = master.named_parameters().Select(p => (p.parameter, computeParameters[p.name])).ToArray();
        var computeBuffers = _compute.named_buffers().ToDictionary(b => b.name, b => b.buffer);
        _buffers = master.named_buffers().Select(b => (b.buffer, computeBuffers[b.name])).ToArray();
    }

    /// <summary>Syncs the compute copy from the master; run forward and backward on <see cref="Compute"/>, then dispose the step.</summary>
    public Step Begin()
    {
        SyncFromMaster();
        _compute.train();
        return new Step(this);
    }

    /// <summary>
    /// The compute copy synced from the master (weights and BatchNorm statistics) in eval mode: validation in bf16,
    /// as fast as training's forward pass. The next <see cref="Begin"/> puts it back in train mode.
    /// </summary>
    public ResNet EvalCopy()
    {
        SyncFromMaster();
        _compute.eval();
        return _compute;
    }

    private void SyncFromMaster()
    {
        using var noGrad = no_grad();
        foreach (var (master, compute) in _parameters)
            compute.copy_(master);
        foreach (var (master, compute) in _buffers)
            compute.copy_(master);
    }

    /// <summary>The bf16 model to run the step's forward and backward on (input in <see cref="ComputeType"/>).</summary>
    public ResNet Compute => _compute;

    public sealed class Step(MixedPrecision owner) : IDisposable
    {
        /// <summary>Gradients to the master parameters in fp32; BatchNorm running statistics back to the master.</summary>
        public void Dispose()
        {
            using var noGrad = no_grad();
            foreach (var (master, compute) in owner._parameters)
            {
                using var grad = compute.grad;
                master.grad = grad is null ? null : grad.to(ScalarType.Float32, copy: true);
            }
            foreach (var (master, compute) in owner._buffers)
                master.copy_(compute);
            owner._compute.zero_grad();
        }
    }

    public void Dispose() => _compute.Dispose();
}
