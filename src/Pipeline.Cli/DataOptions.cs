using System.CommandLine;
using Pipeline.Data;

namespace Pipeline.Cli;

/// <summary>
/// The dataset options every command that reads images shares, and how they resolve: <c>--data DIR</c> (any folder in the
/// ImageFolder layout; <c>"data"</c> in run, pipeline and plan files), and for a folder of class folders without train/ and
/// val/, <c>--val-fraction</c> and <c>--split-seed</c>, which every command given the same values splits the same way.
/// </summary>
public sealed class DataOptions
{
    public Option<DirectoryInfo?> Data { get; } = new("--data")
    {
        Description = "Dataset folder: train/<class>/*.jpg and val/<class>/*.jpg, or class folders split with --val-fraction; an optional classes.csv names the classes. " +
                      $"Default: ${ImageFolderDataset.RootVariable}, else the embedded ../shared/data/imagenette-224.",
    };

    public Option<double?> ValFraction { get; } = new Option<double?>("--val-fraction")
    {
        Description = "For a dataset of class folders without train/ and val/: the share of each class held out for validation (0.2: one in five).",
    }.Within(0.001, 0.999);

    public Option<int> SplitSeed { get; } = new Option<int>("--split-seed")
    {
        Description = "Which split --val-fraction makes (the same seed, the same split, in every command).",
        DefaultValueFactory = _ => 0,
    }.Within(0, int.MaxValue);

    public IEnumerable<Option> All => [Data, ValFraction, SplitSeed];

    /// <summary>The folder given, as a full path; null when none was.</summary>
    public string? Folder(ParseResult parse) => parse.GetValue(Data)?.FullName;

    /// <summary>The split given; null when --val-fraction was not.</summary>
    public DatasetSplit? Split(ParseResult parse) => DatasetSplit.Of(parse.GetValue(ValFraction), parse.GetValue(SplitSeed));

    /// <summary>Whether --split-seed was given on the command line (its default must not hide a file's).</summary>
    public bool SplitSeedGiven(ParseResult parse) => parse.GetResult(SplitSeed) is { Implicit: false };

    /// <summary>The dataset the options name (the default folder when --data is not given).</summary>
    public ImageFolderDataset Open(ParseResult parse) => ImageFolderDataset.OpenOrDefault(Folder(parse), split: Split(parse));
}
