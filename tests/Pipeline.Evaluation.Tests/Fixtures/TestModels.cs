using Pipeline.Experiments;
using Pipeline.Inference;

namespace Pipeline.Evaluation.Tests.Fixtures;

/// <summary>Tiny ONNX classifiers with the project's metadata, written to a temporary folder.</summary>
public sealed class TestModels : IDisposable
{
    public string Folder { get; } = Directory.CreateTempSubdirectory("eval-tests-").FullName;

    public static ModelMetadata Metadata(IReadOnlyList<ModelClass> classes, int input = 72, double valTop1 = double.NaN) => new()
    {
        Classes = classes,
        InputWidth = input,
        InputHeight = input,
        CropSize = input * 8 / 9,
        Mean = [0.485f, 0.456f, 0.406f],
        Std = [0.229f, 0.224f, 0.225f],
        Flavour = "tiny",
        ZeroInitLast = false,
        Head = "mean-colour",
        Recipe = "test",
        Epochs = 1,
        Seed = 1,
        ValTop1 = valTop1,
        DatasetFingerprint = "imagenette-224-test",
        ProjectVersion = "test",
    };

    /// <summary>A random linear model over the mean colour: 10 Imagenette classes unless told otherwise.</summary>
    public string Random(string name, int seed = 1, IReadOnlyList<ModelClass>? classes = null, ModelMetadata? metadata = null,
        bool writeMetadata = true, long?[]? inputDims = null)
    {
        classes ??= metadata?.Classes ?? Imagenette.Classes;
        var rng = new Random(seed);
        var w = Enumerable.Range(0, 3 * classes.Count).Select(_ => (float)(rng.NextDouble() - 0.5) * 0.02f).ToArray();
        var b = Enumerable.Range(0, classes.Count).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        string path = Path.Combine(Folder, name + ".onnx");
        TinyOnnx.Write(path, classes.Count, w, b, writeMetadata ? (metadata ?? Metadata(classes)).ToProperties() : null,
            inputDims ?? [null, 3, (metadata?.InputHeight ?? 72), (metadata?.InputWidth ?? 72)]);
        return path;
    }

    public string Path_(string name) => Path.Combine(Folder, name);

    public void Dispose()
    {
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { }
    }
}
