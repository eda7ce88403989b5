using System.Security.Cryptography;
using Pipeline.Experiments;
using Pipeline.Testing;

namespace Pipeline.Training.Tests;

/// <summary>Training on any folder dataset, and from PyTorch weights: tiny generated datasets at 32–48 px, a few steps each.</summary>
public sealed class OwnDataTrainingTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("pipeline-own-data-").FullName;
    private string Runs => Path.Combine(_temp, "runs");

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    private static RunSpec Small(string name, string data, HeadKind head = HeadKind.Fastai) => new()
    {
        Name = name,
        Dataset = data,
        Head = head,
        Epochs = 1,
        ImageSize = 32,
        RecipeOverride = Recipe.FastaiReference with { BatchSize = 8 },
        Seed = 3,
    };

    [Fact]
    public void A_run_on_a_folder_dataset_has_one_output_per_class_and_records_the_classes_by_their_names()
    {
        string data = FolderDatasets.Create(Path.Combine(_temp, "shapes"), ["circle", "square", "star", "tri"], trainPerClass: 4, valPerClass: 2,
            names: new Dictionary<string, string> { ["circle"] = "Circle", ["square"] = "Square", ["star"] = "Star", ["tri"] = "Triangle" });

        var summary = new Trainer(Runs).Run(Small("shapes", data));

        Assert.Equal([("circle", "Circle"), ("square", "Square"), ("star", "Star"), ("tri", "Triangle")], summary.Classes!.Select(c => (c.Id, c.Name)));
        Assert.Equal(summary.Classes, RunFolder.For(Runs, Small("shapes", data)).ReadSummary().Classes);
        Assert.InRange(summary.FinalValTop1, 0, 1);
    }

    [Fact]
    public void A_run_on_class_folders_split_by_a_fraction_validates_on_the_held_out_share()
    {
        string data = FolderDatasets.Create(Path.Combine(_temp, "flat"), ["a", "b", "c"], trainPerClass: 6, valPerClass: 2, flat: true);
        var spec = Small("flat", data) with { ValFraction = 0.25, SplitSeed = 1 };

        new Trainer(Runs).Run(spec);

        var epoch = Assert.Single(RunFolder.For(Runs, spec).ReadMetrics());
        Assert.Equal(6, (int)Math.Round(epoch.ValImagesPerSecond!.Value * epoch.ValSeconds)); // 2 of 8 per class held out
        Assert.True(RunFolder.For(Runs, spec).ReadSpec() is { ValFraction: 0.25, SplitSeed: 1 });
    }

    /// <summary>
    /// With pretrained weights the zero-init flag is irrelevant, and so is the flavour: the four models (torchvision and timm,
    /// each with the flag off and on) initialised from one PyTorch checkpoint and fine-tuned on the same batches end with the
    /// same weights, bit for bit. From scratch the flag does change the weights, so the test can tell.
    /// </summary>
    [Fact]
    public void From_an_imported_checkpoint_both_flavours_with_either_zero_init_flag_fine_tune_to_bit_identical_weights()
    {
        string data = FolderDatasets.Create(Path.Combine(_temp, "three"), ["a", "b", "c"], trainPerClass: 6, valPerClass: 1);
        string weights = PyTorchFixture.Resnet18ThreeClassPth(_temp);
        RunSpec FineTune(ResNetFlavour flavour, bool zeroInitLast, bool imported) => Small($"{flavour}-zi{(zeroInitLast ? 1 : 0)}-{(imported ? "imported" : "scratch")}", data, HeadKind.Library) with
        {
            Flavour = flavour,
            ZeroInitLast = zeroInitLast,
            InitWeights = imported ? weights : null,
            MaxStepsPerEpoch = 2,
        };

        var tuned = (from flavour in new[] { ResNetFlavour.Torchvision, ResNetFlavour.Timm }
                     from zeroInitLast in new[] { false, true }
                     select new Trainer(Runs).Run(FineTune(flavour, zeroInitLast, imported: true))).ToList();
        var scratch = new[] { false, true }.Select(z => new Trainer(Runs).Run(FineTune(ResNetFlavour.Timm, z, imported: false))).ToList();

        Assert.Single(tuned.Select(s => s.ModelSha256).Distinct());
        Assert.NotEqual(scratch[0].ModelSha256, scratch[1].ModelSha256);
        Assert.DoesNotContain(tuned[0].ModelSha256, scratch.Select(s => s.ModelSha256));
        // Each run records the checkpoint it started from.
        string sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(weights)));
        Assert.All(tuned, s => Assert.Equal(sha, RunFolder.For(Runs, FineTune(ResNetFlavour.Timm, false, true) with { Name = s.Name }).ReadSpec().InitWeightsSha256));
    }
}
