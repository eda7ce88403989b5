using Pipeline.Experiments;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Models;

// TorchSharp registers a module's children under their field names (RegisterComponents), so the fields
// below carry PyTorch's names (conv1, bn1, ...) rather than this repository's _camelCase: that is what makes
// the state_dict keys read `layer1.0.bn2.weight` as in PyTorch. Fields are declared in each library's
// registration order, which is the state_dict order and the order the init loops draw random numbers in.

/// <summary>What the model needs from every block, basic or bottleneck, of either flavour.</summary>
internal abstract class ResidualBlock(string name) : nn.Module<Tensor, Tensor>(name)
{
    /// <summary>The residual branch's last BatchNorm: the one zero-init-last zeroes.</summary>
    public abstract PinnedBatchNorm2d LastNorm { get; }

    /// <summary>
    /// Zero <see cref="LastNorm"/>'s γ, so the branch starts as zero and the block as the identity: timm's
    /// <c>BasicBlock.zero_init_last</c> / <c>Bottleneck.zero_init_last</c>, and torchvision's <c>zero_init_residual</c>.
    /// </summary>
    public void ZeroInitLast()
    {
        using var _ = no_grad();
        nn.init.zeros_(LastNorm.weight!);
    }

    /// <summary>The residual branch: convs and BatchNorms, ending in <see cref="LastNorm"/> (no activation after it).</summary>
    public abstract Tensor Branch(Tensor x);

    /// <summary>The skip path: the input, or its 1x1 projection where the block changes resolution or channels.</summary>
    public abstract Tensor Shortcut(Tensor x);

    /// <summary>The block's output from its two paths: ReLU(branch + shortcut), the sum computed in place in <paramref name="branch"/>.</summary>
    public abstract Tensor Join(Tensor branch, Tensor shortcut);

    public sealed override Tensor forward(Tensor x) => Join(Branch(x), Shortcut(x));

    /// <summary>The block <paramref name="layout"/> describes, in <paramref name="flavour"/>'s module layout.</summary>
    public static ResidualBlock Create(BlockLayout layout, ResNetFlavour flavour)
    {
        var downsample = layout.HasProjectionShortcut ? Downsample(layout.InChannels, layout.OutChannels, layout.Stride) : null;
        bool timm = flavour == ResNetFlavour.Timm;
        return layout.Kind switch
        {
            BlockKind.Basic when timm => new TimmBasicBlock(layout.InChannels, layout.Width, layout.Stride, downsample),
            BlockKind.Basic => new TorchvisionBasicBlock(layout.InChannels, layout.Width, layout.Stride, downsample),
            BlockKind.Bottleneck when timm => new TimmBottleneck(layout.InChannels, layout.Width, layout.OutChannels, layout.Stride, downsample),
            BlockKind.Bottleneck => new TorchvisionBottleneck(layout.InChannels, layout.Width, layout.OutChannels, layout.Stride, downsample),
            var other => throw new ArgumentOutOfRangeException(nameof(layout), other, "unknown block kind"),
        };
    }

    protected static Conv2d Conv3x3(long inPlanes, long outPlanes, long stride = 1) =>
        nn.Conv2d(inPlanes, outPlanes, kernel_size: 3, stride: stride, padding: 1, bias: false);

    protected static Conv2d Conv1x1(long inPlanes, long outPlanes, long stride = 1) =>
        nn.Conv2d(inPlanes, outPlanes, kernel_size: 1, stride: stride, bias: false);

    /// <summary>
    /// A 1×1 conv computed as the matmul it is, on the NHWC view of the input ([N·H·W, in] × [in, out]), output
    /// channels-last. The bottleneck blocks compute theirs this way because libtorch 2.10's oneDNN dies with SIGFPE
    /// (an integer division by zero in <c>brg_blocking_t::est_eff_1x1</c>) when it plans a 1×1 conv with 1,024 or more
    /// outputs, forward or backward, fp32 or bf16, on this project's AVX-512 CPUs; its matmul has no such path.
    /// Same weight tensor, name and init as the conv; the basic blocks keep their convs, so ResNet18's and ResNet34's
    /// results stay bit for bit what they were.
    /// </summary>
    protected static Tensor Pointwise(Conv2d conv, Tensor x, long stride = 1)
    {
        using var scope = NewDisposeScope();
        var input = stride == 1 ? x : x[.., .., TensorIndex.Slice(null, null, stride), TensorIndex.Slice(null, null, stride)];
        return nn.functional.linear(input.permute(0, 2, 3, 1), conv.weight!.flatten(1)).permute(0, 3, 1, 2).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The 1x1 projection shortcut (<see cref="BlockLayout.HasProjectionShortcut"/>): torchvision's <c>_make_layer</c>
    /// and timm's <c>downsample_conv</c> with <c>down_kernel_size=1</c> build the same two modules.
    /// </summary>
    private static Sequential Downsample(long inPlanes, long outPlanes, long stride) =>
        nn.Sequential(Conv1x1(inPlanes, outPlanes, stride), new PinnedBatchNorm2d(outPlanes));
}

/// <summary>
/// torchvision's <c>BasicBlock</c>: one <c>relu</c> module, used after bn1 and again after the residual add.
/// </summary>
internal sealed class TorchvisionBasicBlock : ResidualBlock
{
#pragma warning disable IDE1006 // PyTorch's names: they become the state_dict keys
    private readonly Conv2d conv1;
    private readonly PinnedBatchNorm2d bn1;
    private readonly ReLU relu;
    private readonly Conv2d conv2;
    private readonly PinnedBatchNorm2d bn2;
    private readonly Sequential? downsample;
#pragma warning restore IDE1006

    public TorchvisionBasicBlock(long inPlanes, long planes, long stride, Sequential? downsample)
        : base(nameof(TorchvisionBasicBlock))
    {
        // Both conv1 and downsample downsample the input when stride != 1.
        conv1 = Conv3x3(inPlanes, planes, stride);
        bn1 = new PinnedBatchNorm2d(planes);
        relu = nn.ReLU(inplace: true);
        conv2 = Conv3x3(planes, planes);
        bn2 = new PinnedBatchNorm2d(planes);
        this.downsample = downsample;
        RegisterComponents();
    }

    public override PinnedBatchNorm2d LastNorm => bn2;

    public override Tensor Branch(Tensor x) => bn2.forward(conv2.forward(relu.forward(bn1.forward(conv1.forward(x)))));

    public override Tensor Shortcut(Tensor x) => downsample is null ? x : downsample.forward(x);

    public override Tensor Join(Tensor branch, Tensor shortcut) => relu.forward(branch.add_(shortcut, PinnedScalars.One));
}

/// <summary>
/// timm's <c>BasicBlock</c> (no attention, anti-aliasing, drop-block or drop-path: timm's resnet18/34 build
/// those as Identity/None): separate <c>act1</c> and <c>act2</c>.
/// </summary>
internal sealed class TimmBasicBlock : ResidualBlock
{
#pragma warning disable IDE1006 // PyTorch's names: they become the state_dict keys
    private readonly Conv2d conv1;
    private readonly PinnedBatchNorm2d bn1;
    private readonly ReLU act1;
    private readonly Conv2d conv2;
    private readonly PinnedBatchNorm2d bn2;
    private readonly ReLU act2;
    private readonly Sequential? downsample;
#pragma warning restore IDE1006

    public TimmBasicBlock(long inPlanes, long planes, long stride, Sequential? downsample)
        : base(nameof(TimmBasicBlock))
    {
        conv1 = Conv3x3(inPlanes, planes, stride);
        bn1 = new PinnedBatchNorm2d(planes);
        act1 = nn.ReLU(inplace: true);
        conv2 = Conv3x3(planes, planes);
        bn2 = new PinnedBatchNorm2d(planes);
        act2 = nn.ReLU(inplace: true);
        this.downsample = downsample;
        RegisterComponents();
    }

    public override PinnedBatchNorm2d LastNorm => bn2;

    public override Tensor Branch(Tensor x) => bn2.forward(conv2.forward(act1.forward(bn1.forward(conv1.forward(x)))));

    public override Tensor Shortcut(Tensor x) => downsample is null ? x : downsample.forward(x);

    public override Tensor Join(Tensor branch, Tensor shortcut) => act2.forward(branch.add_(shortcut, PinnedScalars.One));
}

/// <summary>
/// torchvision's <c>Bottleneck</c> (ResNet V1.5: the stride sits on the 3×3 conv2, not on conv1): 1×1 reduce to the
/// width, 3×3, 1×1 expand; one <c>relu</c> module, used three times.
/// </summary>
internal sealed class TorchvisionBottleneck : ResidualBlock
{
#pragma warning disable IDE1006 // PyTorch's names: they become the state_dict keys
    private readonly Conv2d conv1;
    private readonly PinnedBatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly PinnedBatchNorm2d bn2;
    private readonly Conv2d conv3;
    private readonly PinnedBatchNorm2d bn3;
    private readonly ReLU relu;
    private readonly Sequential? downsample;
#pragma warning restore IDE1006

    private readonly Projection? _projection;

    public TorchvisionBottleneck(long inPlanes, long width, long outPlanes, long stride, Sequential? downsample)
        : base(nameof(TorchvisionBottleneck))
    {
        _projection = Projection.Of(downsample, stride);
        conv1 = Conv1x1(inPlanes, width);
        bn1 = new PinnedBatchNorm2d(width);
        conv2 = Conv3x3(width, width, stride);
        bn2 = new PinnedBatchNorm2d(width);
        conv3 = Conv1x1(width, outPlanes);
        bn3 = new PinnedBatchNorm2d(outPlanes);
        relu = nn.ReLU(inplace: true);
        this.downsample = downsample;
        RegisterComponents();
    }

    public override PinnedBatchNorm2d LastNorm => bn3;

    public override Tensor Branch(Tensor x)
    {
        var y = relu.forward(bn1.forward(Pointwise(conv1, x)));
        y = relu.forward(bn2.forward(conv2.forward(y)));
        return bn3.forward(Pointwise(conv3, y));
    }

    public override Tensor Shortcut(Tensor x) => _projection is { } p ? p.Norm.forward(Pointwise(p.Conv, x, p.Stride)) : x;

    public override Tensor Join(Tensor branch, Tensor shortcut) => relu.forward(branch.add_(shortcut, PinnedScalars.One));
}

/// <summary>
/// timm's <c>Bottleneck</c> (no attention, anti-aliasing, drop-block or drop-path: timm's resnet50 builds those as
/// Identity/None): <c>act1</c>, <c>act2</c>, <c>act3</c>, the stride on conv2 as in torchvision.
/// </summary>
internal sealed class TimmBottleneck : ResidualBlock
{
#pragma warning disable IDE1006 // PyTorch's names: they become the state_dict keys
    private readonly Conv2d conv1;
    private readonly PinnedBatchNorm2d bn1;
    private readonly ReLU act1;
    private readonly Conv2d conv2;
    private readonly PinnedBatchNorm2d bn2;
    private readonly ReLU act2;
    private readonly Conv2d conv3;
    private readonly PinnedBatchNorm2d bn3;
    private readonly ReLU act3;
    private readonly Sequential? downsample;
#pragma warning restore IDE1006

    private readonly Projection? _projection;

    public TimmBottleneck(long inPlanes, long width, long outPlanes, long stride, Sequential? downsample)
        : base(nameof(TimmBottleneck))
    {
        _projection = Projection.Of(downsample, stride);
        conv1 = Conv1x1(inPlanes, width);
        bn1 = new PinnedBatchNorm2d(width);
        act1 = nn.ReLU(inplace: true);
        conv2 = Conv3x3(width, width, stride);
        bn2 = new PinnedBatchNorm2d(width);
        act2 = nn.ReLU(inplace: true);
        conv3 = Conv1x1(width, outPlanes);
        bn3 = new PinnedBatchNorm2d(outPlanes);
        act3 = nn.ReLU(inplace: true);
        this.downsample = downsample;
        RegisterComponents();
    }

    public override PinnedBatchNorm2d LastNorm => bn3;

    public override Tensor Branch(Tensor x)
    {
        var y = act1.forward(bn1.forward(Pointwise(conv1, x)));
        y = act2.forward(bn2.forward(conv2.forward(y)));
        return bn3.forward(Pointwise(conv3, y));
    }

    public override Tensor Shortcut(Tensor x) => _projection is { } p ? p.Norm.forward(Pointwise(p.Conv, x, p.Stride)) : x;

    public override Tensor Join(Tensor branch, Tensor shortcut) => act3.forward(branch.add_(shortcut, PinnedScalars.One));
}

/// <summary>The two modules of a bottleneck's <c>downsample</c>, for computing its 1×1 conv as a matmul (<see cref="ResidualBlock"/>).</summary>
internal sealed record Projection(Conv2d Conv, PinnedBatchNorm2d Norm, long Stride)
{
    public static Projection? Of(Sequential? downsample, long stride) => downsample?.children().ToArray() is [Conv2d conv, PinnedBatchNorm2d norm]
        ? new Projection(conv, norm, stride)
        : null;
}
