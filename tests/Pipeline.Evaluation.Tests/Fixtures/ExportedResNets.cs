using Pipeline.Experiments;
using Pipeline.Inference;
using Pipeline.Models;
using Pipeline.Onnx;
using static TorchSharp.torch;

namespace Pipeline.Evaluation.Tests.Fixtures;

/// <summary>Real ResNets (random init, eval mode) exported with the project's exporter.</summary>
public static class ExportedResNets
{
    static ExportedResNets() => TorchRuntime.EnsureLoaded();

    private static readonly object s_globalGenerator = new();

    /// <summary>Exports a ResNet of <paramref name="config"/> to <paramref name="path"/>; input 72 → crop 64 keeps it fast.</summary>
    public static string Export(string path, ResNetConfig config, int input = 72, int crop = 64, IReadOnlyList<ModelClass>? classes = null,
        long seed = 1, double valTop1 = double.NaN, string runName = "")
    {
        classes ??= Imagenette.Classes;
        // libtorch has one global random generator: seeding and building run as one step, never interleaved with
        // another test's (xunit runs test classes in parallel), so the same seed always gives the same weights.
        ResNet model;
        lock (s_globalGenerator)
        {
            manual_seed(seed);
            model = ResNet.Create(config with { NumClasses = classes.Count });
        }
        using var _ = model;
        model.eval();
        var metadata = new ModelMetadata
        {
            Classes = classes,
            InputWidth = input,
            InputHeight = input,
            CropSize = crop,
            Mean = [0.485f, 0.456f, 0.406f],
            Std = [0.229f, 0.224f, 0.225f],
            Architecture = config.Arch.Name(),
            Flavour = config.Flavour.ToString().ToLowerInvariant(),
            ZeroInitLast = config.ZeroInitLast,
            Head = config.Head.ToString().ToLowerInvariant(),
            Recipe = "random-init",
            Epochs = 0,
            Seed = (int)seed,
            ValTop1 = valTop1,
            DatasetFingerprint = "imagenette-224-test",
            ProjectVersion = "test",
            RunName = runName,
        };
        OnnxExporter.Export(model, metadata, path, new OnnxExportOptions { WriteModelCard = false });
        return path;
    }
}
