using Pipeline.Evaluation.Tests.Fixtures;
using Pipeline.Experiments;
using Pipeline.Inference;
using Pipeline.Models;
using Xunit.Abstractions;

namespace Pipeline.Evaluation.Tests;

/// <summary>The pipeline on ResNets exported by the project's own exporter (random init, 72 → 64 px).</summary>
public sealed class ExportedModelTests(ITestOutputHelper output) : IDisposable
{
    private readonly TestModels _models = new();
    private readonly ModelEvaluator _evaluator = new(new EvaluationOptions { Device = ComputeDevice.Cpu });

    public void Dispose() => _models.Dispose();

    [Fact]
    public void Both_flavours_are_scored_from_their_own_metadata()
    {
        ExportedResNets.Export(_models.Path_("timm.onnx"), ResNetConfig.LibraryDefault(ResNetFlavour.Timm));
        ExportedResNets.Export(_models.Path_("torchvision.onnx"), ResNetConfig.LibraryDefault(ResNetFlavour.Torchvision), seed: 2);

        var run = _evaluator.EvaluateAll(ModelToEvaluate.Find(_models.Folder), Imagenette.ValSlice(perClass: 3));

        Assert.Equal(["timm", "torchvision"], run.Models.Select(m => m.ModelName));
        Assert.Equal(["timm", "torchvision"], run.Models.Select(m => m.Metadata.Flavour));
        Assert.True(run.Models[0].Metadata.ZeroInitLast);
        Assert.All(run.Models, m =>
        {
            Assert.Equal(30, m.Metrics.Count);
            Assert.Equal(10, m.Metrics.ConfusionMatrix.Count);
            Assert.True(double.IsFinite(m.Metrics.LogLoss));
            Assert.Contains("ResizeImages(72×72, IsoCrop", m.Preprocessing);
            Assert.Contains("centre crop 64", m.Preprocessing);
        });
    }

    [Fact]
    public void Every_depth_is_scored_from_its_own_metadata()
    {
        foreach (var arch in Enum.GetValues<ResNetArch>())
            ExportedResNets.Export(_models.Path_($"{arch.Name()}.onnx"), ResNetConfig.LibraryDefault(ResNetFlavour.Timm, HeadKind.Fastai) with { Arch = arch });

        var run = _evaluator.EvaluateAll(ModelToEvaluate.Find(_models.Folder), Imagenette.ValSlice(perClass: 2));

        Assert.Equal(["resnet18", "resnet34", "resnet50"], run.Models.Select(m => m.Metadata.Architecture));
        Assert.All(run.Models, m =>
        {
            Assert.Equal(20, m.Metrics.Count);
            Assert.True(double.IsFinite(m.Metrics.LogLoss), $"{m.ModelName}: log-loss {m.Metrics.LogLoss}");
        });
        // Random weights: each depth answers differently, so each file really ran its own graph.
        Assert.Equal(3, run.Models.Select(m => m.Metrics.LogLoss).Distinct().Count());
    }

    [Fact]
    public void A_truncated_export_is_named()
    {
        string good = ExportedResNets.Export(_models.Path_("good.onnx"), ResNetConfig.LibraryDefault(ResNetFlavour.Timm));
        string truncated = _models.Path_("truncated.onnx");
        File.WriteAllBytes(truncated, File.ReadAllBytes(good).Take(100).ToArray());

        var ex = Assert.Throws<EvaluationException>(() => _evaluator.Evaluate(new ModelToEvaluate(truncated), Imagenette.ValSlice(1)));

        Assert.Equal(truncated, ex.FilePath);
        Assert.Contains("truncated or is not ONNX", ex.Message);
    }

    [Fact]
    public void A_five_class_export_against_the_ten_class_dataset_is_named()
    {
        string five = ExportedResNets.Export(_models.Path_("five.onnx"), ResNetConfig.LibraryDefault(ResNetFlavour.Torchvision),
            classes: Imagenette.Classes.Take(5).ToArray());

        var ex = Assert.Throws<EvaluationException>(() => _evaluator.Evaluate(new ModelToEvaluate(five), Imagenette.ValSlice(1)));

        Assert.Equal(five, ex.FilePath);
        Assert.Contains("has 5 classes", ex.Message);
    }

    /// <summary>
    /// The figure for the speed issue: images/s of the whole pipeline (decode, resize, model) at the
    /// project's training size (144 → crop 128) on 200 val images. Run it alone:
    /// <c>dotnet test tests/Pipeline.Evaluation.Tests --filter Speed --logger "console;verbosity=detailed"</c>.
    /// </summary>
    [Fact]
    [Trait("Category", "Speed")]
    public void Speed_of_the_pipeline_on_200_val_images_at_128_px()
    {
        string model = ExportedResNets.Export(_models.Path_("speed.onnx"), ResNetConfig.LibraryDefault(ResNetFlavour.Timm), input: 144, crop: 128);
        var set = Imagenette.ValSlice(perClass: 20);

        var result = new ModelEvaluator(new EvaluationOptions { Device = ComputeDevice.Auto }).Evaluate(new ModelToEvaluate(model), set);

        output.WriteLine($"{result.Metrics.Count} images, {result.ImagesPerSecond:0.0} images/s (scoring {result.ScoringSeconds:0.00} s, wall {result.WallSeconds:0.00} s) on {result.Device}, {Environment.ProcessorCount} cores");
        Assert.Equal(200, result.Metrics.Count);
        Assert.True(result.ImagesPerSecond > 5, $"{result.ImagesPerSecond:0.0} images/s: something is badly wrong (the 2-core baseline is about 100)");
    }
}
