using System.Text.Json.Serialization;

namespace Pipeline.Experiments;

[JsonConverter(typeof(JsonStringEnumConverter<OptimizerKind>))]
public enum OptimizerKind
{
    /// <summary>fastai's Adam: Adam with decoupled weight decay (what PyTorch calls AdamW), β1 cycled by the schedule.</summary>
    FastaiAdam,
    /// <summary>PyTorch AdamW with its defaults (β 0.9/0.999, eps 1e-8), no β1 cycling.</summary>
    AdamW,
    /// <summary>SGD with Nesterov momentum, momentum cycled by the schedule as fastai does.</summary>
    SgdNesterov,
}

[JsonConverter(typeof(JsonStringEnumConverter<ScheduleKind>))]
public enum ScheduleKind
{
    /// <summary>fastai's <c>fit_one_cycle</c>: cosine warm-up from LrMax / DivStart to LrMax, cosine down to LrMax / DivFinal.</summary>
    OneCycle,
    /// <summary>
    /// torchvision's reference recipe: linear warm-up from LrMax / DivStart to LrMax (its <c>LinearLR</c>), then cosine
    /// decay to 0 (<c>CosineAnnealingLR</c>, <c>eta_min=0</c>); DivFinal is not used.
    /// </summary>
    WarmupCosine,
}

[JsonConverter(typeof(JsonStringEnumConverter<TrainTransformKind>))]
public enum TrainTransformKind
{
    /// <summary>Resize the short side, then a random square crop, no flip (the reference experiment).</summary>
    ResizeThenRandomCrop,
    /// <summary>torchvision RandomResizedCrop(scale CropScaleMin–1, ratio 3/4–4/3) + horizontal flip.</summary>
    RandomResizedCropFlip,
}

[JsonConverter(typeof(JsonStringEnumConverter<InputNormalization>))]
public enum InputNormalization
{
    /// <summary>Pixels in [0, 1], as the reference experiment fed them.</summary>
    None,
    /// <summary>ImageNet mean/std per channel.</summary>
    ImageNet,
}

/// <summary>How a model is trained: optimizer, schedule, loss and augmentation.</summary>
public sealed record Recipe
{
    public string Name { get; init; } = "fastai-reference";
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.FastaiAdam;
    public int BatchSize { get; init; } = 64;
    public double LrMax { get; init; } = 1e-3;
    public ScheduleKind Schedule { get; init; } = ScheduleKind.OneCycle;
    /// <summary>One-cycle: start at LrMax / DivStart, end at LrMax / DivFinal.</summary>
    public double DivStart { get; init; } = 25;
    public double DivFinal { get; init; } = 1e5;
    /// <summary>Fraction of steps spent warming up.</summary>
    public double PctStart { get; init; } = 0.25;
    /// <summary>β1 (Adam) or momentum (SGD) at start, mid-point (end of warm-up) and end.</summary>
    public double[] Moms { get; init; } = [0.95, 0.85, 0.95];
    public double Beta2 { get; init; } = 0.99;
    public double Eps { get; init; } = 1e-5;
    public double WeightDecay { get; init; } = 0.01;
    /// <summary>Apply weight decay to BatchNorm and bias parameters too (fastai: no).</summary>
    public bool WeightDecayOnNormAndBias { get; init; }
    public double LabelSmoothing { get; init; }
    public TrainTransformKind TrainTransform { get; init; } = TrainTransformKind.ResizeThenRandomCrop;
    /// <summary>The smallest fraction of an image's area RandomResizedCrop takes (torchvision's default 0.08).</summary>
    public double CropScaleMin { get; init; } = 0.08;
    public InputNormalization Normalization { get; init; } = InputNormalization.None;
    /// <summary>Short side the images are resized to before cropping, as a multiple of the image size (128 → 144).</summary>
    public double ResizeScale { get; init; } = 1.125;

    public static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f];
    public static readonly float[] ImageNetStd = [0.229f, 0.224f, 0.225f];

    public (float[] Mean, float[] Std) MeanStd => Normalization == InputNormalization.ImageNet
        ? (ImageNetMean, ImageNetStd)
        : ([0f, 0f, 0f], [1f, 1f, 1f]);

    /// <summary>
    /// The published comparison's recipe (fastai, 2022: `vision_learner(..., pretrained=False)` then
    /// `fit_one_cycle(5, 1e-3)`), every number from fastai's defaults:
    /// Adam: `fastai.optimizer.Adam(mom=0.9, sqr_mom=0.99, eps=1e-5, wd=0.01, decouple_wd=True)`;
    /// `Learner(wd_bn_bias=False)`: no weight decay on BatchNorm and bias;
    /// `fit_one_cycle(div=25., div_final=1e5, pct_start=0.25, moms=(0.95,0.85,0.95))`, cosine both phases;
    /// `DataLoaders(bs=64)`; loss `CrossEntropyLossFlat()`; no `Normalize` in the batch transforms.
    /// </summary>
    public static Recipe FastaiReference { get; } = new();

    /// <summary>SGD + Nesterov momentum (0.9 peak), lr 0.1·bs/256-style peak, weight decay 5e-5 on weights only.</summary>
    public static Recipe SgdNesterov { get; } = new()
    {
        Name = "sgd-nesterov",
        Optimizer = OptimizerKind.SgdNesterov,
        LrMax = 0.05,
        Moms = [0.95, 0.85, 0.95],
        WeightDecay = 5e-5,
        LabelSmoothing = 0.1,
        TrainTransform = TrainTransformKind.RandomResizedCropFlip,
        Normalization = InputNormalization.ImageNet,
    };

    /// <summary>AdamW with PyTorch's defaults, one-cycle lr, label smoothing, RandomResizedCrop + flip, ImageNet normalization.</summary>
    public static Recipe AdamW { get; } = new()
    {
        Name = "adamw",
        Optimizer = OptimizerKind.AdamW,
        LrMax = 2e-3,
        Moms = [0.9, 0.9, 0.9],
        Beta2 = 0.999,
        Eps = 1e-8,
        WeightDecay = 0.05,
        LabelSmoothing = 0.1,
        TrainTransform = TrainTransformKind.RandomResizedCropFlip,
        Normalization = InputNormalization.ImageNet,
    };

    /// <summary>
    /// The regime zero-init was made for (Goyal et al. 2017; He et al. 2019, "Bag of Tricks"), in the style of
    /// torchvision's reference ImageNet recipe (references/classification), adapted to 64 px and Imagenette's few steps:
    /// SGD with Nesterov momentum 0.9 (constant); peak lr 0.025 at batch 64, torchvision's 0.1 at batch 256 scaled by the
    /// linear rule (the 0.1, four times the rule, did not train in the pilot: docs/design/zero-init-depth.md);
    /// linear warm-up over the first 5 % of steps
    /// from lr/100 (torchvision's <c>lr_warmup_decay=0.01</c>), then cosine decay to 0; weight decay 5e-5, not on
    /// BatchNorm or biases (torchvision's <c>norm_weight_decay=0.0</c>); label smoothing 0.1; RandomResizedCrop with
    /// scale 0.35–1 (at 64 px, torchvision's 0.08 leaves too few pixels of the object) plus a horizontal flip; ImageNet
    /// mean/std normalisation. The fastai head and batch 64, as in every experiment of this project.
    /// </summary>
    public static Recipe Sgd { get; } = new()
    {
        Name = "sgd",
        Optimizer = OptimizerKind.SgdNesterov,
        LrMax = 0.025,
        Schedule = ScheduleKind.WarmupCosine,
        DivStart = 100,
        PctStart = 0.05,
        Moms = [0.9, 0.9, 0.9],
        WeightDecay = 5e-5,
        LabelSmoothing = 0.1,
        TrainTransform = TrainTransformKind.RandomResizedCropFlip,
        CropScaleMin = 0.35,
        Normalization = InputNormalization.ImageNet,
    };

    public static IReadOnlyDictionary<string, Recipe> Presets { get; } = new Dictionary<string, Recipe>(StringComparer.OrdinalIgnoreCase)
    {
        [FastaiReference.Name] = FastaiReference,
        [SgdNesterov.Name] = SgdNesterov,
        [AdamW.Name] = AdamW,
        [Sgd.Name] = Sgd,
    };

    public IEnumerable<string> Validate()
    {
        if (BatchSize < 1) yield return $"batchSize must be at least 1 (is {BatchSize}).";
        if (!(LrMax > 0)) yield return $"lrMax must be positive (is {LrMax}).";
        if (!(PctStart > 0 && PctStart < 1)) yield return $"pctStart must be between 0 and 1 (is {PctStart}).";
        if (Moms.Length != 3) yield return $"moms must have 3 values: start, mid, end (has {Moms.Length}).";
        if (LabelSmoothing is < 0 or >= 1) yield return $"labelSmoothing must be in [0, 1) (is {LabelSmoothing}).";
        if (ResizeScale < 1) yield return $"resizeScale must be at least 1 (is {ResizeScale}).";
        if (!(CropScaleMin > 0 && CropScaleMin <= 1)) yield return $"cropScaleMin must be in (0, 1] (is {CropScaleMin}).";
        if (!(DivStart >= 1)) yield return $"divStart must be at least 1 (is {DivStart}).";
    }
}
