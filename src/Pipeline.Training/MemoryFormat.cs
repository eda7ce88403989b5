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
    public static Tensor ChannelsLast(Tensor nchw) => nchw.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);

    public static bool IsChannelsLast(Tensor t) =>
        t.dim() == 4 && t.stride(1) == 1 && t.stride(3) == t.shape[1] && t.stride(2) == t.shape[1] * t.shape[3];

    /// <summary>
    /// Re-lays every 4-d parameter (the conv weights) channels-last, in place. Do it before the
    /// optimizer is built: gradients and optimizer state then follow the weights' layout, so no step
    /// converts back and forth.
    /// </summary>
    public static void ToChannelsLast(nn.Module model)
    {
        using var noGrad = no_grad();
        foreach (var (_, p) in model.named_parameters())
        {
            if (p.dim() != 4 || IsChannelsLast(p))
                continue;
            using var relaid = ChannelsLast(p);
            p.set_(relaid);
        }
    }
}
