namespace Pipeline.Experiments;

/// <summary>One stage: <paramref name="Blocks"/> BasicBlocks of <paramref name="Channels"/> output channels.</summary>
public sealed record StageLayout(int Channels, int Blocks);

/// <summary>
/// One BasicBlock where it sits: its PyTorch name (<c>layer2.0</c>), its channels in and out and its first conv's
/// stride. A block that changes the resolution or the channels has a 1×1 projection shortcut (<c>downsample</c>).
/// </summary>
public sealed record BlockLayout(string Name, int Stage, int InChannels, int Channels, int Stride)
{
    public bool HasProjectionShortcut => Stride != 1 || InChannels != Channels;
}

/// <summary>
/// A ResNet of BasicBlocks described once, as torchvision's <c>_resnet(BasicBlock, [2, 2, 2, 2])</c> and timm's
/// <c>make_blocks</c> describe it: a stem (7×7 conv, stride 2, then 3×3 max pool, stride 2) and stages whose first
/// block halves the resolution (except the first stage's). The TorchSharp builder and the ONNX graph writer both
/// walk it, so the two cannot drift apart.
/// </summary>
public sealed class ResNetLayout
{
    public ResNetLayout(int stemChannels, IReadOnlyList<StageLayout> stages)
    {
        StemChannels = stemChannels;
        Stages = stages;
        Blocks = [.. Enumerate()];
    }

    public int StemChannels { get; }
    public IReadOnlyList<StageLayout> Stages { get; }

    /// <summary>ResNet18: four stages of two BasicBlocks, 64 → 512 channels.</summary>
    public static ResNetLayout ResNet18 { get; } = new(64, [new(64, 2), new(128, 2), new(256, 2), new(512, 2)]);

    /// <summary>Channels of the backbone's output (timm's <c>num_features</c>).</summary>
    public int Features => Stages[^1].Channels;

    /// <summary>Every block in forward order.</summary>
    public IReadOnlyList<BlockLayout> Blocks { get; }

    private IEnumerable<BlockLayout> Enumerate()
    {
        int inChannels = StemChannels;
        for (int s = 0; s < Stages.Count; s++)
        {
            for (int b = 0; b < Stages[s].Blocks; b++)
            {
                yield return new BlockLayout($"layer{s + 1}.{b}", s, inChannels, Stages[s].Channels, s > 0 && b == 0 ? 2 : 1);
                inChannels = Stages[s].Channels;
            }
        }
    }

    /// <summary>
    /// The names of the parameterless modules each flavour gives its activations, which ONNX nodes are named after:
    /// torchvision has one <c>relu</c> per block, used twice (its second use is <c>relu_1</c>, as torch.onnx names it),
    /// timm an <c>act1</c> and <c>act2</c> per block; the stem's is <c>relu</c> or <c>act1</c>.
    /// </summary>
    public static (string Stem, string BranchActivation, string OutputActivation) ActivationNames(ResNetFlavour flavour) =>
        flavour == ResNetFlavour.Timm ? ("act1", "act1", "act2") : ("relu", "relu", "relu_1");
}
