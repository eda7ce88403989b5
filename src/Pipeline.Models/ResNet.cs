using Pipeline.Experiments;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Models;

/// <summary>
/// ResNet18, ResNet34 and ResNet50 (He et al. 2015, https://arxiv.org/abs/1512.03385) in two flavours that follow
/// torchvision's and timm's <c>resnet.py</c>, built from one <see cref="ResNetLayout"/>, with PyTorch's parameter names
/// (<c>conv1.weight</c>, <c>layer1.0.bn2.weight</c>, <c>fc.weight</c>), either library's head or fastai's, and the
/// <c>forward_features</c> / <c>forward_head</c> split timm has.
/// </summary>
/// <remarks>
/// Input: float [N, 3, H, W], already scaled (and normalised if the recipe does): the model does no input
/// normalisation. Nothing below assumes a memory format (no <c>view</c>; pooling then <c>flatten</c>), so the
/// model can run channels-last by converting it and its inputs, without code changes here.
/// </remarks>
public sealed class ResNet : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // PyTorch's names: RegisterComponents turns them into the state_dict keys
    // Stem. torchvision calls its activation `relu`, timm `act1`: exactly one of the two is set.
    private readonly Conv2d conv1;
    private readonly PinnedBatchNorm2d bn1;
    private readonly ReLU? relu;
    private readonly ReLU? act1;
    private readonly MaxPool2d maxpool;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Sequential layer4;
    // Library heads: torchvision `avgpool` + `fc`, timm `global_pool` (SelectAdaptivePool2d: pool, flatten) + `fc`.
    private readonly AdaptiveAvgPool2d? avgpool;
    private readonly Sequential? global_pool;
    private readonly Linear? fc;
    // fastai head, in place of pool + fc.
    private readonly Sequential? head;
#pragma warning restore IDE1006

    private readonly ResidualBlock[] _blocks;

    public ResNetConfig Config { get; }

    /// <summary>The layout this model is built from: the same description the ONNX writer walks.</summary>
    public ResNetLayout Layout => Config.Layout;

    private ResNet(ResNetConfig config) : base(config.Arch.Name())
    {
        if (config.NumClasses < 1)
            throw new ArgumentOutOfRangeException(nameof(config), config.NumClasses, "NumClasses must be at least 1.");
        Config = config;
        bool timm = config.Flavour == ResNetFlavour.Timm;

        var layout = config.Layout;
        conv1 = nn.Conv2d(3, layout.StemChannels, kernel_size: 7, stride: 2, padding: 3, bias: false);
        bn1 = new PinnedBatchNorm2d(layout.StemChannels);
        if (timm)
            act1 = nn.ReLU(inplace: true);
        else
            relu = nn.ReLU(inplace: true);
        maxpool = nn.MaxPool2d(kernel_size: 3, stride: 2, padding: 1);

        _blocks = [.. layout.Blocks.Select(b => ResidualBlock.Create(b, config.Flavour))];
        var stages = layout.Stages.Select((_, stage) =>
            nn.Sequential(_blocks.Where((_, i) => layout.Blocks[i].Stage == stage).Cast<nn.Module<Tensor, Tensor>>().ToArray())).ToArray();
        (layer1, layer2, layer3, layer4) = (stages[0], stages[1], stages[2], stages[3]);

        if (config.Head == HeadKind.Fastai)
        {
            head = FastaiHead.Create(layout.Features, config.NumClasses);
        }
        else
        {
            if (timm)
                global_pool = nn.Sequential(("pool", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten(1)));
            else
                avgpool = nn.AdaptiveAvgPool2d(1);
            fc = nn.Linear(layout.Features, config.NumClasses); // PyTorch's default Linear init, in both libraries
        }

        RegisterComponents();
    }

    /// <summary>
    /// Builds and initialises the model as <paramref name="config"/> says. Deterministic given the global seed
    /// (<c>torch.manual_seed</c>) the caller sets.
    /// </summary>
    public static ResNet Create(ResNetConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var model = new ResNet(config);
        if (config.Flavour == ResNetFlavour.Timm)
            model.InitWeightsTimm(config.ZeroInitLast);
        else
            model.InitWeightsTorchvision(config.ZeroInitLast);
        return model;
    }

    /// <summary>torchvision's init loop at the end of <c>ResNet.__init__</c>.</summary>
    private void InitWeightsTorchvision(bool zeroInitResidual)
    {
        using var _ = no_grad();
        using Scalar one = 1, zero = 0; // held through each call (PinnedScalars says why)
        foreach (var m in modules())
        {
            if (m is Conv2d conv)
            {
                nn.init.kaiming_normal_(conv.weight!, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
            }
            else if (m is PinnedBatchNorm2d bn)
            {
                nn.init.constant_(bn.weight!, one);
                nn.init.constant_(bn.bias!, zero);
            }
        }

        // Zero-initialise the last BN in each residual branch, so that the residual branch starts with zeros
        // and each residual block behaves like an identity (Goyal et al. 2017, https://arxiv.org/abs/1706.02677,
        // torchvision's comment: "improves the model by 0.2~0.3%"). Off by default in torchvision.
        if (zeroInitResidual)
        {
            foreach (var block in _blocks)
                block.ZeroInitLast();
        }
    }

    /// <summary>
    /// timm's <c>ResNet.init_weights(zero_init_last)</c>: convs kaiming normal (fan_out), BatchNorm left at
    /// PyTorch's defaults (γ = 1, β = 0), then every block zeroes its own last norm. On by default in timm.
    /// </summary>
    private void InitWeightsTimm(bool zeroInitLast)
    {
        using var _ = no_grad();
        foreach (var m in modules())
        {
            if (m is Conv2d conv)
                nn.init.kaiming_normal_(conv.weight!, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
        }
        if (zeroInitLast)
        {
            foreach (var block in _blocks)
                block.ZeroInitLast();
        }
    }

    /// <summary>conv1, bn1, ReLU, max pool: [N, 64, H/4, W/4], the first residual block's input.</summary>
    private Tensor ForwardStem(Tensor x)
    {
        x = conv1.forward(x);
        x = bn1.forward(x);
        x = (relu ?? act1)!.forward(x);
        return maxpool.forward(x);
    }

    /// <summary>Stem and the four stages: [N, features (512 or 2048), H/32, W/32].</summary>
    public Tensor ForwardFeatures(Tensor x)
    {
        x = ForwardStem(x);
        x = layer1.forward(x);
        x = layer2.forward(x);
        x = layer3.forward(x);
        return layer4.forward(x);
    }

    /// <summary>The head on <see cref="ForwardFeatures"/>' output: logits [N, classes].</summary>
    public Tensor ForwardHead(Tensor features)
    {
        if (head is not null)
            return head.forward(features);
        var pooled = global_pool is not null ? global_pool.forward(features) : avgpool!.forward(features).flatten(1);
        return fc!.forward(pooled);
    }

    public override Tensor forward(Tensor x) => ForwardHead(ForwardFeatures(x));

    /// <summary>
    /// Runs the stem and every residual block on <paramref name="x"/> and reads, per block, the norms of its two
    /// paths and the mean |γ| of its last BatchNorm: how much each residual branch adds to what the skip carries.
    /// The caller picks the mode (eval, for readings that do not move BatchNorm statistics) and <c>no_grad</c>.
    /// </summary>
    public IReadOnlyList<ResidualBlockReading> ReadResidualBlocks(Tensor x)
    {
        var readings = new List<ResidualBlockReading>(_blocks.Length);
        x = ForwardStem(x);
        for (int i = 0; i < _blocks.Length; i++)
        {
            var block = _blocks[i];
            var branch = block.Branch(x);
            var shortcut = block.Shortcut(x);
            readings.Add(new ResidualBlockReading(
                Layout.Blocks[i].Name,
                block.LastNorm.weight!.abs().mean().item<float>(),
                branch.norm().item<float>(),
                shortcut.norm().item<float>()));
            x = block.Join(branch, shortcut); // sums in place into branch: its norm is read above
        }
        return readings;
    }

    /// <summary>
    /// BatchNorm γ/β and every bias: parameters the recipe keeps out of weight decay. timm's rule
    /// (<c>param_groups_weight_decay</c>): one-dimensional parameters and names ending in <c>.bias</c>.
    /// </summary>
    public IEnumerable<(string Name, Parameter Param)> NoWeightDecayParameters =>
        named_parameters().Where(p => IsNoWeightDecay(p.name, p.parameter)).Select(p => (p.name, p.parameter));

    /// <summary>Conv and Linear weights: the parameters weight decay applies to.</summary>
    public IEnumerable<(string Name, Parameter Param)> WeightDecayParameters =>
        named_parameters().Where(p => !IsNoWeightDecay(p.name, p.parameter)).Select(p => (p.name, p.parameter));

    private static bool IsNoWeightDecay(string name, Parameter p) => p.dim() <= 1 || name.EndsWith(".bias", StringComparison.Ordinal);
}
