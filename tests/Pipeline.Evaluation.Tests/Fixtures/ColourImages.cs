using Pipeline.Inference;
using SkiaSharp;

namespace Pipeline.Evaluation.Tests.Fixtures;

/// <summary>
/// Solid-colour PNGs (lossless, non-square so IsoCrop has work to do), one colour per class, and a
/// <see cref="TinyOnnx.NearestColour"/> model that gets each right: every prediction is known in advance.
/// </summary>
public static class ColourImages
{
    public static readonly (float R, float G, float B)[] Colours =
    [
        (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (255, 0, 255),
        (0, 255, 255), (255, 255, 255), (0, 0, 0), (128, 128, 128), (255, 128, 0),
    ];

    public static string Write(string folder, string name, int classIndex, int width = 120, int height = 90)
    {
        var (r, g, b) = Colours[classIndex];
        using var bitmap = new SKBitmap(width, height, isOpaque: true);
        bitmap.Erase(new SKColor((byte)r, (byte)g, (byte)b));
        string path = Path.Combine(folder, name + ".png");
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
        return path;
    }

    /// <summary>Ten classes (Imagenette's wnids), <paramref name="perClass"/> images each, written to <paramref name="folder"/>.</summary>
    public static EvaluationSet Set(string folder, int perClass)
    {
        Directory.CreateDirectory(folder);
        var examples = Enumerable.Range(0, 10).SelectMany(k => Enumerable.Range(0, perClass)
            .Select(i => new LabeledExample(Write(folder, $"c{k}-{i}", k), Imagenette.Wnids[k]))).ToArray();
        return EvaluationSet.Create("colours", Imagenette.Wnids, examples, "colour-dataset");
    }

    public static string Model(string folder, string name, IReadOnlyList<ModelClass> classes)
    {
        var (w, b) = TinyOnnx.NearestColour(Colours.Take(classes.Count).ToArray());
        string path = Path.Combine(folder, name + ".onnx");
        TinyOnnx.Write(path, classes.Count, w, b, TestModels.Metadata(classes, input: 32).ToProperties(), [null, 3, 32, 32]);
        return path;
    }
}
