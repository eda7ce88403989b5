namespace Pipeline.Experiments;

/// <summary>Whose ResNet code the model follows: module layout and init policy.</summary>
public enum ResNetFlavour
{
    /// <summary><c>torchvision/models/resnet.py</c>: one ReLU per block, <c>zero_init_residual=False</c> by default.</summary>
    Torchvision,

    /// <summary><c>timm/models/resnet.py</c>: <c>act1</c>/<c>act2</c> per block, <c>init_weights(zero_init_last=True)</c> by default.</summary>
    Timm,
}

/// <summary>The classifier on top of the backbone's features.</summary>
public enum HeadKind
{
    /// <summary>The flavour's own head: global average pool, then <c>fc</c> (features → classes, with bias).</summary>
    Library,

    /// <summary>fastai's <c>create_head</c>: concat max+avg pool, BN, dropout, 2·features→512, ReLU, BN, dropout, 512→classes.</summary>
    Fastai,
}

/// <summary>Everything that decides a ResNet's layout and initialisation.</summary>
/// <param name="Flavour">Whose code the model follows.</param>
/// <param name="ZeroInitLast">
/// Zero each block's last BatchNorm γ (<c>bn2.weight</c>, <c>bn3.weight</c> in a bottleneck), so every residual branch starts as zero and
/// every block as the identity. torchvision's default is false (<c>zero_init_residual=False</c>), timm's true
/// (<c>zero_init_last=True</c>): the difference this project measures.
/// </param>
/// <param name="Head">Which classifier sits on the features.</param>
/// <param name="NumClasses">Outputs of the last Linear.</param>
public sealed record ResNetConfig(ResNetFlavour Flavour, bool ZeroInitLast, HeadKind Head, int NumClasses = 10)
{
    /// <summary>The depth: ResNet18 unless said otherwise, so every record written before depths existed keeps its meaning.</summary>
    public ResNetArch Arch { get; init; } = ResNetArch.ResNet18;

    public ResNetLayout Layout => ResNetLayout.For(Arch);

    /// <summary>Each library's own default for the flag: timm zero-inits (<c>zero_init_last=True</c>), torchvision does not.</summary>
    public static bool LibraryZeroInitLast(ResNetFlavour flavour) => flavour == ResNetFlavour.Timm;

    /// <summary>
    /// The model a run file, a pipeline variant or the command line describes: the flag as given, or, when it is not
    /// (null), the flavour's library default. The one place that default is applied.
    /// </summary>
    public static ResNetConfig Of(ResNetArch arch, ResNetFlavour flavour, bool? zeroInitLast, HeadKind head, int numClasses = 10) =>
        new(flavour, zeroInitLast ?? LibraryZeroInitLast(flavour), head, numClasses) { Arch = arch };

    /// <summary>A library's own model: its flavour with its default flag.</summary>
    public static ResNetConfig LibraryDefault(ResNetFlavour flavour, HeadKind head = HeadKind.Library, int numClasses = 10) =>
        Of(ResNetArch.ResNet18, flavour, zeroInitLast: null, head, numClasses);
}
