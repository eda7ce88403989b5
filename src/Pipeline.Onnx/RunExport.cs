using Pipeline.Data;
using Pipeline.Experiments;
using Pipeline.Inference;
using Pipeline.Models;
using TorchSharp;

namespace Pipeline.Onnx;

/// <summary>Exports a finished training run (its run folder) to a self-describing ONNX model.</summary>
public static class RunExport
{
    /// <summary>The Imagenette class table as the model's output classes (metadata order = label index).</summary>
    public static IReadOnlyList<ModelClass> ImagenetteModelClasses { get; } =
        ImagenetteClasses.All.Select(c => new ModelClass(c.Id, c.Name)).ToArray();

    /// <summary>A dataset's classes as a model's outputs (metadata order = label index).</summary>
    public static IReadOnlyList<ModelClass> ModelClassesOf(ClassTable classes) => classes.Select(c => new ModelClass(c.Id, c.Name)).ToArray();

    /// <summary>The classes a finished run's outputs mean: its summary's; Imagenette's for runs recorded before summaries named them.</summary>
    public static IReadOnlyList<ModelClass> ClassesOf(RunSummary summary) =>
        summary.Classes?.Select(c => new ModelClass(c.Id, c.Name)).ToArray() ?? ImagenetteModelClasses;

    /// <summary>
    /// Loads the run's final weights and writes <paramref name="outputPath"/> (and its model card).
    /// A run that has not finished (no final weights yet) is refused: its checkpoint is mid-training.
    /// </summary>
    /// <param name="int8CalibrationPerClass">
    /// Quantize to int8, calibrated on the first this-many training images of each class of the run's dataset
    /// (never the val images it is evaluated on); null: float32.
    /// </param>
    /// <param name="dataset">The folder of the run's dataset, for the int8 calibration images; null: the folder its run file names.</param>
    public static ModelMetadata Export(string runFolder, string outputPath, OnnxExportOptions? options = null, int? int8CalibrationPerClass = null, string? dataset = null)
    {
        var (spec, summary, model) = LoadFinished(runFolder);
        using var _ = model;
        var metadata = MetadataFor(spec, summary);
        if (int8CalibrationPerClass is int perClass)
        {
            var data = ImageFolderDataset.OpenOrDefault(dataset ?? spec.Dataset, split: DatasetSplit.Of(spec.ValFraction, spec.SplitSeed));
            options = (options ?? new OnnxExportOptions()) with { Int8 = CalibrationImages(data.Train.FirstPerClass(perClass), spec.ResizeSide, data.Fingerprint) };
        }
        return OnnxExporter.Export(model, metadata, outputPath, options);
    }

    /// <summary>
    /// Writes the run's final weights as a PyTorch state dict (<see cref="StateDictFile"/>: .safetensors, or .pth/.pt), with
    /// PyTorch's names: it loads into <c>torchvision.models.resnetXX(num_classes=…)</c> as it is (library head), or with the
    /// fastai head module of <c>src/Pipeline.Models/PyTorch/pipeline_resnet.py</c>. The safetensors header names the classes and the model.
    /// </summary>
    public static void ExportStateDict(string runFolder, string outputPath)
    {
        var (spec, summary, model) = LoadFinished(runFolder);
        using var _ = model;
        var metadata = MetadataFor(spec, summary);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outputPath))!);
        StateDictFile.Write(outputPath, model, new Dictionary<string, string>
        {
            ["pipeline.run"] = spec.Name,
            ["pipeline.architecture"] = metadata.Architecture,
            ["pipeline.flavour"] = metadata.Flavour,
            ["pipeline.head"] = metadata.Head,
            ["pipeline.classes"] = string.Join(",", metadata.Classes.Select(c => c.Id)),
            ["pipeline.class_names"] = System.Text.Json.JsonSerializer.Serialize(metadata.Classes.Select(c => c.Name)),
            ["pipeline.checkpoint_sha256"] = metadata.CheckpointSha256,
        });
    }

    /// <summary>A finished run's definition, summary and final weights (in eval mode).</summary>
    private static (RunSpec Spec, RunSummary Summary, ResNet Model) LoadFinished(string runFolder)
    {
        var folder = new RunFolder(runFolder);
        if (!Directory.Exists(folder.Path))
            throw new OnnxExportException($"{folder.Path}: no such run folder. Train it first (`pipeline train`), or check --runs.");
        if (!folder.IsFinished)
            throw new OnnxExportException(
                $"{folder.Path}: the run has not finished (no {Path.GetFileName(folder.SummaryJson)} and {Path.GetFileName(folder.ModelFile)}). " +
                "Export needs final weights: finish the run with `pipeline train` (it resumes from its checkpoint).");
        var spec = folder.ReadSpec();
        var summary = folder.ReadSummary();
        TorchRuntime.EnsureLoaded();

        var model = ResNet.Create(spec.ModelFor(ClassesOf(summary).Count));
        try
        {
            model.load(folder.ModelFile);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or EndOfStreamException)
        {
            model.Dispose();
            throw new OnnxExportException(
                $"{folder.ModelFile}: cannot be loaded into a {spec.Arch} ({spec.Flavour}, {spec.Head} head, {ClassesOf(summary).Count} classes): {e.Message.Split('\n')[0]}. " +
                "The file is damaged or from another architecture; re-run the training.", e);
        }
        model.eval();
        return (spec, summary, model);
    }

    /// <summary>
    /// What an exported model of <paramref name="spec"/> says about itself: the classes, the preprocessing its recipe
    /// trained with, the model and its provenance. <paramref name="summary"/> (the finished run's) adds its val top-1,
    /// dataset and checkpoint; without it (a benchmark's random model) those stay empty.
    /// </summary>
    /// <param name="classes">The classes of a model without a summary (a benchmark's); null: the summary's, else Imagenette's.</param>
    public static ModelMetadata MetadataFor(RunSpec spec, RunSummary? summary, IReadOnlyList<ModelClass>? classes = null)
    {
        var (mean, std) = spec.Recipe.MeanStd;
        var model = spec.ModelConfig;
        return new ModelMetadata
        {
            Classes = classes ?? (summary is null ? ImagenetteModelClasses : ClassesOf(summary)),
            InputWidth = spec.ResizeSide,
            InputHeight = spec.ResizeSide,
            CropSize = spec.ImageSize,
            Mean = mean,
            Std = std,
            Architecture = model.Arch.Name(),
            Flavour = model.Flavour.ToString().ToLowerInvariant(),
            ZeroInitLast = model.ZeroInitLast,
            Head = model.Head.ToString().ToLowerInvariant(),
            Recipe = spec.Recipe.Name,
            Epochs = spec.Epochs,
            Seed = spec.Seed,
            ValTop1 = summary?.FinalValTop1 ?? double.NaN,
            DatasetFingerprint = summary?.DatasetFingerprint ?? "",
            CheckpointSha256 = summary?.ModelSha256 ?? "",
            ProjectVersion = ProjectVersion.Current,
            RunName = spec.Name,
            InitWeightsSha256 = spec.InitWeightsSha256 ?? "",
        };
    }

    /// <summary><paramref name="images"/> as the graph's input (<see cref="GraphInputs"/>), all in one array, to calibrate an int8 export.</summary>
    public static Int8Calibration CalibrationImages(IReadOnlyList<LabeledImage> images, int side, string datasetFingerprint)
    {
        var pixels = new float[images.Count * 3 * side * side];
        int offset = 0;
        foreach (var (batchPixels, _) in GraphInputs.Batches(images, side, datasetFingerprint, batchSize: 64))
        {
            batchPixels.CopyTo(pixels, offset);
            offset += batchPixels.Length;
        }
        return new Int8Calibration(pixels, images.Count, $"{images.Count} training images, {images.Count / Math.Max(1, images.Select(i => i.Label).Distinct().Count())} per class");
    }
}
