using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Training;

/// <summary>
/// Channels-last (NHWC in memory) without a memory-format API: TorchSharp has none, but a tensor
/// made by permute → contiguous → permute back has channels-last strides, and libtorch's CPU
/// convolution and batch-norm kernels keep that layout through forward and backward.
/// </summary>
public static class MemoryFormat
{
    /// <summary>
    /// The same values laid out channels-last. The intermediates live in a dispose scope until the result is made:
    /// outside one, a garbage collection could finalize the permuted view while <c>contiguous</c> reads it.
    /// </summary>
    public static Tensor ChannelsLast(Tensor nchw)
    {
        using var scope = NewDisposeScope();
        var result = nchw.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2).MoveToOuterDisposeScope();
        GC.KeepAlive(nchw);
        return result;
    }

    /// <summary>NHWC in memory. libtorch's own contiguity test, so size-1 dimensions (1×1 kernels) do not count.</summary>
    public static bool IsChannelsLast(Tensor t)
    {
        if (t.dim() != 4)
            return false;
        using var nhwc = t.permute(0, 2, 3, 1);
        return nhwc.is_contiguous();
    }

    /// <summary>
    /// Re-lays every 4-d parameter (the conv weights) channels-last, in place. Do it before the
    /// optimizer is built: gradients and optimizer state then follow the weights' layout, so no step
    /// converts back and forth.
    /// </summary>
    public static void ToChannelsLast(nn.Module model) =>
        Relayout(model.parameters().Where(p => p.dim() == 4 && !IsChannelsLast(p)), toChannelsLast: true);

    /// <summary>
    /// Runs <paramref name="action"/> with every channels-last tensor of the model and its optimizer
    /// state temporarily contiguous (NCHW), then restores the layout. TorchSharp's save and load
    /// read and write raw bytes and refuse non-contiguous tensors.
    /// </summary>
    public static void WithContiguousTensors(nn.Module model, optim.Optimizer? optimizer, Action action)
    {
        var relaid = StateTensors(model, optimizer).Where(IsChannelsLast).ToList();
        Relayout(relaid, toChannelsLast: false);
        try
        {
            action();
        }
        finally
        {
            Relayout(relaid, toChannelsLast: true);
        }
    }

    private static void Relayout(IEnumerable<Tensor> tensors, bool toChannelsLast)
    {
        using var noGrad = no_grad();
        foreach (var t in tensors)
        {
            using var relaid = toChannelsLast ? ChannelsLast(t) : t.contiguous();
            t.set_(relaid);
        }
    }

    /// <summary>The 4-d tensors whose layout a step keeps: conv weights and their optimizer state.</summary>
    private static IEnumerable<Tensor> StateTensors(nn.Module model, optim.Optimizer? optimizer)
    {
        IEnumerable<Tensor?> state = optimizer is TorchSharp.Modules.OptimizerHelper helper
            ? helper.state_dict().State.SelectMany(s => s switch
            {
                TorchSharp.Modules.AdamW.State a => new[] { a.exp_avg, a.exp_avg_sq, a.max_exp_avg_sq },
                TorchSharp.Modules.SGD.State g => new[] { g.momentum_buffer },
                _ => Array.Empty<Tensor?>(),
            })
            : [];
        return model.parameters().Cast<Tensor>().Concat(state)
            .Where(t => t is not null && !t.IsInvalid && t.dim() == 4)
            .Select(t => t!);
    }
}
