using System.CommandLine;
using Pipeline.Data;
using Pipeline.Evaluation;
using Spectre.Console;

namespace Pipeline.Cli;

/// <summary>What every command that reads a dataset does with it: its split, its warnings, its images checked, its evaluation set.</summary>
public static class DatasetOptions
{
    public static Option<string> Split() => new("--split")
    {
        Description = "train or val.",
        DefaultValueFactory = _ => "val",
    };

    /// <summary>
    /// Decodes every image with the strict decoder the cache build uses (<see cref="ImageCheck"/>), with a progress bar:
    /// what `data verify` and `evaluate` (whose ML.NET decoder is lenient) check before they report or score anything.
    /// </summary>
    /// <exception cref="DatasetException">Some images cannot be decoded; the message lists them.</exception>
    public static void CheckDecodable(IReadOnlyList<LabeledImage> images, CancellationToken cancellation)
    {
        AnsiConsole.Progress().AutoClear(true).Start(ctx =>
        {
            var task = ctx.AddTask("decoding", maxValue: images.Count);
            ImageCheck.ThrowIfAnyUndecodable(images, new Progress<int>(done => task.Value = done), cancellation);
        });
    }

    /// <summary>
    /// The index's warnings (files skipped, a class missing, files the CSV does not list), shown by every command that
    /// acts on the data: a score on a dataset with a class missing is not the score it seems.
    /// </summary>
    public static void ShowWarnings(ImageFolderDataset dataset)
    {
        foreach (string warning in dataset.Warnings)
            AnsiConsole.MarkupLineInterpolated($"[yellow]warning:[/] {warning}");
    }

    public static IReadOnlyList<LabeledImage> SplitOf(ImageFolderDataset dataset, string split, int? perClass = null)
    {
        var images = split.ToLowerInvariant() switch
        {
            "val" => dataset.Val,
            "train" => dataset.Train,
            _ => throw new UsageException($"--split must be train or val (is '{split}')."),
        };
        return perClass is { } n ? images.FirstPerClass(n) : images;
    }

    /// <summary>The ML.NET evaluation's view of a split: image paths with their class ids, the dataset's classes in label order.</summary>
    public static EvaluationSet EvaluationSetOf(ImageFolderDataset dataset, IReadOnlyList<LabeledImage> images, string split)
    {
        var set = EvaluationSet.Create($"{dataset.Name} {split}", dataset.Classes.Ids,
            images.Select(i => new LabeledExample(i.Path, dataset.Classes[i.Label].Id)).ToArray(), dataset.Fingerprint);
        return set with { Warnings = dataset.Warnings }; // the report records them next to the scores
    }
}
