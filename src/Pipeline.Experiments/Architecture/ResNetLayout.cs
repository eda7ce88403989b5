using System.Text.Json.Serialization;

namespace Pipeline.Experiments;

/// <summary>The depth of the network: torchvision's and timm's <c>resnet18</c>, <c>resnet34</c> and <c>resnet50</c>.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ResNetArch>))]
public enum ResNetArch
{
    [JsonStringEnumMemberName("resnet18")] ResNet18,
    [JsonStringEnumMemberName("resnet34")] ResNet34,
    [JsonStringEnumMemberName("resnet50")] ResNet50,
}

public static class ResNetArchNames
{
    /// <summary>"resnet18", "resnet34" or "resnet50": PyTorch's model name, used in run names, files and messages.</summary>
    public static string Name(this ResNetArch arch) => arch.ToString().ToLowerInvariant();
}

/// <summary>The residual block a stage is made of (He et al. 2015, https://arxiv.org/abs/1512.03385, table 1).</summary>
public enum BlockKind
{
    /// <summary>Two 3×3 convs; output channels = width (ResNet18, ResNet34).</summary>
    Basic,

    /// <summary>1×1 reduce, 3×3 (carrying the stride, as torchvision ≥ 0.5 and timm do), 1×1 expand ×4 (ResNet50 and deeper).</summary>
    Bottleneck,
}

/// <summary>One stage: <paramref name="Blocks"/> blocks of inner width <paramref name="Width"/> (torchvision's <c>planes</c>).</summary>
public sealed record StageLayout(int Width, int Blocks);

/// <summary>
/// One block where it sits: its PyTorch name (<c>layer2.0</c>), its kind, its channels in, inner width and channels out,
/// and its stride. A block that changes the resolution or the channels has a 1×1 projection shortcut (<c>downsample</c>):
/// every stage's first block, and in a bottleneck network also <c>layer1.0</c> (64 → 256 channels at stride 1).
/// </summary>
public sealed record BlockLayout(string Name, int Stage, BlockKind Kind, int InChannels, int Width, int OutChannels, int Stride)
{
    public bool HasProjectionShortcut => Stride != 1 || InChannels != OutChannels;

    /// <summary>
    /// The residual branch's convs in order (<c>conv1</c>, <c>conv2</c>[, <c>conv3</c>]), each followed by its BatchNorm:
    /// basic blocks two 3×3, the first carrying the stride; bottlenecks 1×1 reduce, 3×3 with the stride, 1×1 expand.
    /// </summary>
    public IReadOnlyList<ConvLayout> BranchConvs => Kind switch
    {
        BlockKind.Basic => [new(InChannels, Width, 3, Stride), new(Width, Width, 3, 1)],
        BlockKind.Bottleneck => [new(InChannels, Width, 1, 1), new(Width, Width, 3, Stride), new(Width, OutChannels, 1, 1)],
        _ => throw new InvalidOperationException($"unknown block kind {Kind}"),
    };

    /// <summary>The 1×1 projection shortcut's conv, where there is one.</summary>
    public ConvLayout? ShortcutConv => HasProjectionShortcut ? new(InChannels, OutChannels, 1, Stride) : null;
}

/// <summary>A bias-free square conv (padding kernel/2) and the BatchNorm after it.</summary>
public sealed record ConvLayout(int InChannels, int OutChannels, int Kernel, int Stride)
{
    /// <summary>Conv weights plus the BatchNorm's γ and β.</summary>
    public long Parameters => ((long)InChannels * OutChannels * Kernel * Kernel) + (2L * OutChannels);
}

/// <summary>
/// A ResNet described once, as torchvision's <c>_resnet(BasicBlock, [2, 2, 2, 2])</c> and timm's <c>make_blocks</c>
/// describe it: a stem (7×7 conv, stride 2, then 3×3 max pool, stride 2) and four stages whose first block halves the
/// resolution (except the first stage's). The TorchSharp builder and the ONNX graph writer both walk it, so the two
/// cannot drift apart.
/// </summary>
public sealed class ResNetLayout
{
    public ResNetLayout(BlockKind kind, int stemChannels, IReadOnlyList<StageLayout> stages)
    {
        Kind = kind;
        StemChannels = stemChannels;
        Stages = stages;
        Blocks = [.. Enumerate()];
    }

    public BlockKind Kind { get; }
    public int StemChannels { get; }
    public IReadOnlyList<StageLayout> Stages { get; }

    /// <summary>Output channels per unit of width: 1 for basic blocks, 4 for bottlenecks (torchvision's <c>expansion</c>).</summary>
    public int Expansion => Kind == BlockKind.Bottleneck ? 4 : 1;

    /// <summary>ResNet18: four stages of two basic blocks, 64 → 512 channels.</summary>
    public static ResNetLayout ResNet18 { get; } = new(BlockKind.Basic, 64, [new(64, 2), new(128, 2), new(256, 2), new(512, 2)]);

    /// <summary>ResNet34: basic blocks, [3, 4, 6, 3].</summary>
    public static ResNetLayout ResNet34 { get; } = new(BlockKind.Basic, 64, [new(64, 3), new(128, 4), new(256, 6), new(512, 3)]);

    /// <summary>ResNet50: bottlenecks, [3, 4, 6, 3], 256 → 2048 channels out.</summary>
    public static ResNetLayout ResNet50 { get; } = new(BlockKind.Bottleneck, 64, [new(64, 3), new(128, 4), new(256, 6), new(512, 3)]);

    public static ResNetLayout For(ResNetArch arch) => arch switch
    {
        ResNetArch.ResNet18 => ResNet18,
        ResNetArch.ResNet34 => ResNet34,
        ResNetArch.ResNet50 => ResNet50,
        _ => throw new ArgumentOutOfRangeException(nameof(arch), arch, "unknown ResNet depth"),
    };

    /// <summary>Channels of the backbone's output (timm's <c>num_features</c>): 512, or 2048 for bottlenecks.</summary>
    public int Features => Stages[^1].Width * Expansion;

    /// <summary>Every block in forward order.</summary>
    public IReadOnlyList<BlockLayout> Blocks { get; }

    /// <summary>The stem's 7×7 conv, stride 2.</summary>
    public ConvLayout StemConv => new(3, StemChannels, 7, 2);

    /// <summary>Trainable parameters of the backbone (stem and blocks, no head): 11.2 M for ResNet18, 21.3 M for ResNet34, 23.5 M for ResNet50.</summary>
    public long BackboneParameters =>
        StemConv.Parameters + Blocks.Sum(b => b.BranchConvs.Sum(c => c.Parameters) + (b.ShortcutConv?.Parameters ?? 0));

    private IEnumerable<BlockLayout> Enumerate()
    {
        int inChannels = StemChannels;
        for (int s = 0; s < Stages.Count; s++)
        {
            int outChannels = Stages[s].Width * Expansion;
            for (int b = 0; b < Stages[s].Blocks; b++)
            {
                yield return new BlockLayout($"layer{s + 1}.{b}", s, Kind, inChannels, Stages[s].Width, outChannels, s > 0 && b == 0 ? 2 : 1);
                inChannels = outChannels;
            }
        }
    }

    /// <summary>
    /// The names of the parameterless modules each flavour gives its activations, which ONNX nodes are named after.
    /// torchvision has one <c>relu</c> per block, used after each inner BatchNorm and after the add (its later uses are
    /// <c>relu_1</c>, <c>relu_2</c>, as torch.onnx names them); timm has <c>act1</c>, <c>act2</c> (and <c>act3</c>) per
    /// block. The stem's is <c>relu</c> or <c>act1</c>.
    /// </summary>
    /// <returns>The stem's, those inside the residual branch in order, and the one after the add.</returns>
    public static (string Stem, IReadOnlyList<string> Branch, string Output) ActivationNames(ResNetFlavour flavour, BlockKind kind)
    {
        int inner = kind == BlockKind.Bottleneck ? 2 : 1;
        string[] uses = flavour == ResNetFlavour.Timm
            ? [.. Enumerable.Range(1, inner + 1).Select(i => $"act{i}")]
            : [.. Enumerable.Range(0, inner + 1).Select(i => i == 0 ? "relu" : $"relu_{i}")];
        return (flavour == ResNetFlavour.Timm ? "act1" : "relu", uses[..inner], uses[inner]);
    }
}
