using Pipeline.Data;
using Pipeline.Experiments;

namespace Pipeline.Training;

/// <summary>The train and val images of a run, decoded once into caches at the run's resize side.</summary>
internal sealed class TrainingData : IDisposable
{
    private readonly DecodedImageCache _train;
    private readonly DecodedImageCache _val;

    private TrainingData(DecodedImageCache train, DecodedImageCache val, ImageFolderDataset dataset)
    {
        _train = train;
        _val = val;
        Fingerprint = dataset.Fingerprint;
        Classes = dataset.Classes;
        Warnings = dataset.Warnings;
    }

    public string Fingerprint { get; }

    /// <summary>The dataset's classes: the model's outputs, in label order.</summary>
    public ClassTable Classes { get; }

    /// <summary>What the dataset index warned about (files skipped, a class missing, files the CSV does not list).</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Validation cost relative to training, for the time-left estimate (forward only ≈ 1/3 of a step).</summary>
    public double ValidationShare => _val.Count / (3.0 * _train.Count);

    public static TrainingData Open(RunSpec spec, CancellationToken cancellation)
    {
        var dataset = OpenDataset(spec);
        var train = spec.TrainPerClass is { } trainN ? dataset.Train.FirstPerClass(trainN) : dataset.Train;
        var val = spec.ValPerClass is { } valN ? dataset.Val.FirstPerClass(valN) : dataset.Val;
        if (train.Count < spec.Recipe.BatchSize)
            throw new RunSpecException($"run '{spec.Name}': {train.Count} training images is fewer than one batch of {spec.Recipe.BatchSize}. Use more images per class or a smaller batch.");
        var trainCache = DecodedImageCache.BuildOrOpen(train, spec.ResizeSide, dataset.Fingerprint, ct: cancellation);
        var valCache = DecodedImageCache.BuildOrOpen(val, spec.ResizeSide, dataset.Fingerprint, ct: cancellation);
        return new TrainingData(trainCache, valCache, dataset);
    }

    /// <summary>The run's dataset: its folder, its noisy-label set, its fraction split (when it has one).</summary>
    private static ImageFolderDataset OpenDataset(RunSpec spec) =>
        ImageFolderDataset.OpenOrDefault(spec.Dataset, spec.NoisyLabelsPercent, DatasetSplit.Of(spec.ValFraction, spec.SplitSeed));

    public long StepsPerEpoch(RunSpec spec)
    {
        long full = _train.Count / spec.Recipe.BatchSize; // the last partial batch is dropped, as fastai does
        return spec.MaxStepsPerEpoch is { } max ? Math.Min(full, max) : full;
    }

    public long ValSteps(RunSpec spec) => (_val.Count + spec.Recipe.BatchSize - 1) / spec.Recipe.BatchSize;

    public BatchLoader TrainLoader(RunSpec spec, int epoch)
    {
        IImageTransform transform = spec.Recipe.TrainTransform switch
        {
            TrainTransformKind.ResizeThenRandomCrop => new ResizeThenRandomCrop(spec.ImageSize),
            TrainTransformKind.RandomResizedCropFlip => new RandomResizedCrop(spec.ImageSize, scaleMin: spec.Recipe.CropScaleMin),
            var other => throw new ArgumentOutOfRangeException(nameof(spec), other, "unknown train transform"),
        };
        return new BatchLoader(_train, transform, spec.Recipe.BatchSize, shuffle: true, spec.Seed, epoch, dropLast: true);
    }

    public BatchLoader ValLoader(RunSpec spec) =>
        new(_val, new CenterCrop(spec.ImageSize), spec.Recipe.BatchSize, shuffle: false, spec.Seed, epoch: 0);

    /// <summary>The whole train split as val is scored (centre crops, in order): how far a run is from memorising it.</summary>
    public BatchLoader TrainEvalLoader(RunSpec spec) =>
        new(_train, new CenterCrop(spec.ImageSize), spec.Recipe.BatchSize, shuffle: false, spec.Seed, epoch: 0);

    public long TrainEvalSteps(RunSpec spec) => (_train.Count + spec.Recipe.BatchSize - 1) / spec.Recipe.BatchSize;

    /// <summary>
    /// The first <paramref name="perClass"/> val images of each class, centre-cropped as validation crops them:
    /// the same pixels in every run of this image size and val slice, whatever its seed.
    /// </summary>
    public Batch ProbeBatch(RunSpec spec, int perClass)
    {
        var transform = new CenterCrop(spec.ImageSize);
        var picked = Enumerable.Range(0, _val.Count).GroupBy(_val.Label).OrderBy(g => g.Key).SelectMany(g => g.Take(perClass)).ToArray();
        int imageBytes = 3 * spec.ImageSize * spec.ImageSize;
        var pixels = new byte[picked.Length * imageBytes];
        for (int i = 0; i < picked.Length; i++)
            transform.Apply(_val.Get(picked[i]), new Random(0), pixels.AsSpan(i * imageBytes, imageBytes));
        return new Batch(pixels, picked.Select(_val.Label).ToArray(), picked.Length, spec.ImageSize);
    }

    public void Dispose()
    {
        _train.Dispose();
        _val.Dispose();
    }
}
