using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Models;

// TorchSharp registers a module's children under their field names (RegisterComponents), so the fields
// below carry PyTorch's names (conv1, bn1, ...) rather than this repository's _camelCase: that is what makes
// the state_dict keys read `layer1.0.bn2.weight` as in PyTorch. Fields are declared in each library's
// registration order, which is the state_dict order.

/// <summary>What the model needs from either flavour's BasicBlock.</summary>
internal abstract class BasicBlock(string name) : nn.Module<Tensor, Tensor>(name)
{
    /// <summary>The residual branch's last BatchNorm: the one zero-init-last zeroes.</summary>
    public abstract PinnedBatchNorm2d LastNorm { get; }

    /// <summary>The residual branch: conv, BN, ReLU, conv, BN.</summary>
    public abstract Tensor Branch(Tensor x);

    /// <summary>The skip path: the input, or its 1x1 projection in a stage's first block.</summary>
    public abstract Tensor Shortcut(Tensor x);

    /// <summary>The block's output from its two paths: ReLU(branch + shortcut), the sum computed in place in <paramref name="branch"/>.</summary>
    public abstract Tensor Join(Tensor branch, Tensor shortcut);

    public sealed override Tensor forward(Tensor x) => Join(Branch(x), Shortcut(x));

    protected static Conv2d Conv3x3(long inPlanes, long outPlanes, long stride = 1) =>
        nn.Conv2d(inPlanes, outPlanes, kernel_size: 3, stride: stride, padding: 1, bias: false);

    /// <summary>
    /// The 1x1 projection shortcut of a block that changes resolution or channels
    /// (<see cref="Pipeline.Experiments.BlockLayout.HasProjectionShortcut"/>): torchvision's <c>_make_layer</c> and timm's
    /// <c>downsample_conv</c> with <c>down_kernel_size=1</c> build the same two modules.
    /// </summary>
    public static Sequential Downsample(long inPlanes, long planes, long stride) =>
        nn.Sequential(nn.Conv2d(inPlanes, planes, kernel_size: 1, stride: stride, bias: false), new PinnedBatchNorm2d(planes));
}

/// <summary>
/// torchvision's <c>BasicBlock</c>: one <c>relu</c> module, used after bn1 and again after the residual add.
/// </summary>
internal sealed class TorchvisionBasicBlock : BasicBlock
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
/// timm's <c>BasicBlock</c> (no attention, anti-aliasing, drop-block or drop-path: timm's resnet18 builds
/// those as Identity/None): separate <c>act1</c> and <c>act2</c>, and the block zeroes its own last norm.
/// </summary>
internal sealed class TimmBasicBlock : BasicBlock
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

    /// <summary>timm's <c>BasicBlock.zero_init_last</c>: γ of bn2 to zero.</summary>
    public void ZeroInitLast()
    {
        using var _ = no_grad();
        nn.init.zeros_(bn2.weight!);
    }

    public override Tensor Branch(Tensor x) => bn2.forward(conv2.forward(act1.forward(bn1.forward(conv1.forward(x)))));

    public override Tensor Shortcut(Tensor x) => downsample is null ? x : downsample.forward(x);

    public override Tensor Join(Tensor branch, Tensor shortcut) => act2.forward(branch.add_(shortcut, PinnedScalars.One));
}
