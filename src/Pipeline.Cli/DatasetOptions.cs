using System.CommandLine;
using Pipeline.Data;
using Pipeline.Evaluation;

namespace Pipeline.Cli;

/// <summary>The --data option every command that reads Imagenette shares, and how it resolves.</summary>
public static class DatasetOptions
{
    public static Option<DirectoryInfo?> Data() => new("--data")
    {
        Description = $"Imagenette folder (official layout). Default: ${ImagenetteDataset.RootVariable}, else the embedded ../shared/data/imagenette-224.",
    };

    public static Option<string> Split() => new("--split")
    {
        Description = "train or val.",
        DefaultValueFactory = _ => "val",
    };

    public static ImagenetteDataset Open(DirectoryInfo? data, int noisyPercent = 0) =>
        ImagenetteDataset.OpenOrDefault(data?.FullName, noisyPercent);

    public static IReadOnlyList<LabeledImage> SplitOf(ImagenetteDataset dataset, string split, int? perClass = null)
    {
        var images = split.ToLowerInvariant() switch
        {
            "val" => dataset.Val,
            "train" => dataset.Train,
            _ => throw new UsageException($"--split must be train or val (is '{split}')."),
        };
        return perClass is { } n ? images.FirstPerClass(n) : images;
    }

    /// <summary>The ML.NET evaluation's view of a split: image paths with their wnids, in the class table's order.</summary>
    public static EvaluationSet EvaluationSetOf(ImagenetteDataset dataset, IReadOnlyList<LabeledImage> images, string name) =>
        EvaluationSet.Create(name, ImagenetteClasses.All.Select(c => c.Wnid).ToArray(),
            images.Select(i => new LabeledExample(i.Path, ImagenetteClasses.All[i.Label].Wnid)).ToArray(), dataset.Fingerprint);
}
