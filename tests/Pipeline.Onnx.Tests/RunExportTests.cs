using Pipeline.Data;
using Pipeline.Experiments;
using Pipeline.Inference;
using Pipeline.Models;
using Pipeline.Testing;
using Pipeline.Training;

namespace Pipeline.Onnx.Tests;

/// <summary>A real (tiny) training run, exported and validated: the export must score what the trainer scored.</summary>
public sealed class RunExportTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"pipeline-export-{Guid.NewGuid():N}");

    private RunSpec Spec(string name, ResNetArch arch = ResNetArch.ResNet18) => new()
    {
        Name = name,
        Arch = arch,
        Flavour = ResNetFlavour.Torchvision,
        Epochs = 1,
        ImageSize = 64,
        TrainPerClass = 8,
        ValPerClass = 6,
        RecipeOverride = Recipe.FastaiReference with { BatchSize = 16 },
    };

    [Theory]
    [InlineData(ResNetArch.ResNet18)]
    [InlineData(ResNetArch.ResNet50)]
    public void Exported_run_validates_to_the_trainers_own_val_top1(ResNetArch arch)
    {
        var spec = Spec($"exported-{arch.Name()}", arch);
        var summary = new Trainer(_root).Run(spec);
        string onnx = Path.Combine(_root, "models", "exported.onnx");
        var metadata = RunExport.Export(Path.Combine(_root, spec.Name), onnx);

        Assert.Equal(summary.FinalValTop1, metadata.ValTop1);
        Assert.Equal(arch.Name(), metadata.Architecture);
        // The run's memorisation check: the whole train split (80 images) scored in eval mode.
        Assert.InRange(summary.TrainEvalTop1!.Value, 0, 1);
        Assert.Equal(0, summary.TrainEvalTop1.Value * 80 % 1, 9);
        Assert.True(summary.TrainEvalLoss > 0, $"train-split loss {summary.TrainEvalLoss}");
        Assert.Equal(CpuFeatures.ModelName, summary.Cpu);
        Assert.Equal(72, metadata.InputWidth); // 64 × 1.125
        Assert.Equal(64, metadata.CropSize);
        Assert.True(File.Exists(Path.ChangeExtension(onnx, ".md")));

        var dataset = ImageFolderDataset.Open(ImageFolderDataset.FindDefaultRoot()!);
        var val = dataset.Val.FirstPerClass(6);
        var result = OnnxValidator.Validate(onnx, val, dataset.Classes.Ids, "imagenette val", dataset.Fingerprint, batchSize: 16);
        Assert.Equal(60, result.Images);
        // Same pixels, same weights (BatchNorm folded): at most one borderline image may flip.
        Assert.True(Math.Abs(result.Top1 - summary.FinalValTop1) <= 1.0 / 60 + 1e-9,
            $"ONNX Runtime top-1 {result.Top1:P2} vs trainer {summary.FinalValTop1:P2}");
    }

    [Fact]
    public void A_run_on_a_folder_dataset_exports_its_class_names_validates_on_its_dataset_and_nowhere_else_and_writes_a_state_dict()
    {
        string data = FolderDatasets.Create(Path.Combine(_root, "data", "tools"), ["drill", "hammer", "saw"], trainPerClass: 6, valPerClass: 3,
            names: new Dictionary<string, string> { ["drill"] = "Drill", ["hammer"] = "Hammer", ["saw"] = "Saw" });
        var spec = new RunSpec { Name = "tools", Dataset = data, Head = HeadKind.Library, Epochs = 1, ImageSize = 32, RecipeOverride = Recipe.FastaiReference with { BatchSize = 6 } };
        var summary = new Trainer(_root).Run(spec);
        string onnx = Path.Combine(_root, "models", "tools.onnx");

        var metadata = RunExport.Export(Path.Combine(_root, spec.Name), onnx);

        Assert.Equal([("drill", "Drill"), ("hammer", "Hammer"), ("saw", "Saw")], metadata.Classes.Select(c => (c.Id, c.Name)));
        Assert.Contains("| 2 | saw | Saw |", File.ReadAllText(Path.ChangeExtension(onnx, ".md")));
        var dataset = ImageFolderDataset.Open(data);
        var result = OnnxValidator.Validate(onnx, dataset.Val, dataset.Classes.Ids, "tools val", dataset.Fingerprint, batchSize: 4);
        Assert.Equal(9, result.Images);
        Assert.True(Math.Abs(result.Top1 - summary.FinalValTop1) <= 1.0 / 9 + 1e-9, $"ONNX Runtime top-1 {result.Top1:P2} vs trainer {summary.FinalValTop1:P2}");

        var imagenette = ImageFolderDataset.Open(ImageFolderDataset.FindDefaultRoot()!);
        var refused = Assert.Throws<InvalidDataException>(() =>
            OnnxValidator.Validate(onnx, imagenette.Val.FirstPerClass(1), imagenette.Classes.Ids, "imagenette val", imagenette.Fingerprint));
        Assert.Contains("the model has 3 classes (drill, hammer, saw) but the dataset 'imagenette val' has 10 (n01440764, n02102040,", refused.Message);

        // The same weights as a PyTorch state dict, with PyTorch's names, read back into a fresh model: the trained model.bin's tensors.
        string weights = Path.Combine(_root, "models", "tools.safetensors");
        RunExport.ExportStateDict(Path.Combine(_root, spec.Name), weights);
        using var trained = ResNet.Create(spec.ModelFor(3));
        trained.load(Path.Combine(_root, spec.Name, "model.bin"));
        using var imported = ResNet.Create(spec.ModelFor(3));
        PretrainedWeights.Load(imported, weights, newHead: false);
        foreach (var (key, tensor) in imported.state_dict())
            Assert.True(tensor.equal(trained.state_dict()[key]).all().item<bool>(), $"{key} differs between model.bin and the exported state dict");
    }

    [Fact]
    public void Unfinished_or_missing_runs_are_refused_and_nothing_is_written()
    {
        string onnx = Path.Combine(_root, "models", "x.onnx");
        var missing = Assert.Throws<OnnxExportException>(() => RunExport.Export(Path.Combine(_root, "nope"), onnx));
        Assert.Contains("no such run folder", missing.Message);

        var spec = Spec("unfinished");
        new Trainer(_root).Run(spec);
        File.Delete(Path.Combine(_root, spec.Name, "summary.json")); // as if interrupted before the end
        var unfinished = Assert.Throws<OnnxExportException>(() => RunExport.Export(Path.Combine(_root, spec.Name), onnx));
        Assert.Contains("has not finished", unfinished.Message);
        Assert.False(File.Exists(onnx));
    }

    [Fact]
    public void Weights_of_another_architecture_are_refused_with_the_file_named()
    {
        var spec = Spec("other-arch");
        new Trainer(_root).Run(spec);
        string folder = Path.Combine(_root, spec.Name);
        // Put a library-head model's weights where the fastai-head run expects its own.
        using (var other = ResNet.Create(new ResNetConfig(ResNetFlavour.Torchvision, false, HeadKind.Library)))
            Weights.Save(Path.Combine(folder, "model.bin"), other);
        string onnx = Path.Combine(_root, "models", "other.onnx");
        var e = Assert.Throws<OnnxExportException>(() => RunExport.Export(folder, onnx));
        Assert.Contains("model.bin", e.Message);
        Assert.False(File.Exists(onnx));
    }

    [Fact]
    public void A_truncated_model_file_fails_validation_with_the_file_named()
    {
        Directory.CreateDirectory(_root);
        string bad = Path.Combine(_root, "truncated.onnx");
        File.WriteAllBytes(bad, [0x08, 0x08, 0x12, 0x05]);
        var dataset = ImageFolderDataset.Open(ImageFolderDataset.FindDefaultRoot()!);
        var e = Assert.Throws<InvalidModelException>(() => OnnxValidator.Validate(bad, dataset.Val.Take(2).ToList(), dataset.Classes.Ids, "imagenette val", dataset.Fingerprint));
        Assert.Contains(bad, e.Message);
        Assert.Contains("export it again", e.Message);
    }

    public void Dispose()
    {
        if (Directory.Exists(_root))
            Directory.Delete(_root, recursive: true);
    }
}
