using Pipeline.Data;
using Pipeline.Experiments;
using Pipeline.Inference;
using Pipeline.Models;
using SkiaSharp;

namespace Pipeline.Onnx.Tests;

/// <summary>Metadata, inputs and a scratch folder for the export tests.</summary>
internal static class TestData
{
    public const int InputSize = 144, CropSize = 128;

    public static readonly ModelClass[] ImagenetteClasses = [.. RunExport.ImagenetteModelClasses];

    public static readonly float[] ImagenetMean = [0.485f, 0.456f, 0.406f], ImagenetStd = [0.229f, 0.224f, 0.225f];

    public static ModelMetadata Metadata(ResNetConfig config, float[]? mean = null, float[]? std = null) => new()
    {
        Classes = config.NumClasses == ImagenetteClasses.Length ? ImagenetteClasses
            : [.. Enumerable.Range(0, config.NumClasses).Select(i => new ModelClass($"class{i:D4}", $"class {i}"))],
        InputWidth = InputSize,
        InputHeight = InputSize,
        CropSize = CropSize,
        Mean = mean ?? [0f, 0f, 0f],
        Std = std ?? [1f, 1f, 1f],
        Flavour = config.Flavour.ToString().ToLowerInvariant(),
        ZeroInitLast = config.ZeroInitLast,
        Head = config.Head.ToString().ToLowerInvariant(),
        Recipe = "test-recipe",
        Epochs = 3,
        Seed = 17,
        ValTop1 = 0.8125,
        DatasetFingerprint = "sha256:test-dataset",
        CheckpointSha256 = "0123abcd",
        ProjectVersion = "0.1.0-test",
        RunName = "test-run",
    };

    /// <summary>The Imagenette copy every part finds the same way: $PIPELINE_DATA, or ../shared/data/imagenette-224 beside the repository.</summary>
    public static string ImagenetteRoot() =>
        ImageFolderDataset.FindDefaultRoot() ?? throw new DirectoryNotFoundException($"Imagenette not found: set {ImageFolderDataset.RootVariable} to the imagenette-224 folder.");

    /// <summary>
    /// <paramref name="perClass"/> val images of each of the first <paramref name="classes"/> classes (sorted
    /// names), as ML.NET would hand them to the model: resized IsoCrop to 144x144, planar RGB floats 0..255.
    /// </summary>
    public static (float[] Pixels, int Count) RealValImages(int classes = 8, int perClass = 2)
    {
        string val = Path.Combine(ImagenetteRoot(), "val");
        Assert.True(Directory.Exists(val), $"Imagenette val images expected at {val} (set {ImageFolderDataset.RootVariable} to their parent folder)");
        var files = Directory.GetDirectories(val).Order(StringComparer.Ordinal).Take(classes)
            .SelectMany(d => Directory.GetFiles(d, "*.JPEG").Order(StringComparer.Ordinal).Take(perClass))
            .ToList();
        int plane = InputSize * InputSize;
        var pixels = new float[files.Count * 3 * plane];
        for (int n = 0; n < files.Count; n++)
        {
            var (resized, left, top) = DecodeIsoCrop(files[n], InputSize);
            using var _ = resized;
            for (int y = 0; y < InputSize; y++)
            {
                for (int x = 0; x < InputSize; x++)
                {
                    var c = resized.GetPixel(left + x, top + y);
                    int i = (n * 3 * plane) + (y * InputSize) + x;
                    pixels[i] = c.Red;
                    pixels[i + plane] = c.Green;
                    pixels[i + (2 * plane)] = c.Blue;
                }
            }
        }
        return (pixels, files.Count);
    }

    /// <summary>
    /// Short side scaled to <paramref name="size"/> (greyscale read as RGB), and where the centred
    /// <paramref name="size"/>-square starts: ML.NET's IsoCrop.
    /// </summary>
    private static (SKBitmap Resized, int Left, int Top) DecodeIsoCrop(string file, int size)
    {
        using var decoded = SKBitmap.Decode(file);
        Assert.True(decoded is not null, $"cannot decode {file}");
        float scale = (float)size / Math.Min(decoded!.Width, decoded.Height);
        int w = Math.Max(size, (int)Math.Round(decoded.Width * scale)), h = Math.Max(size, (int)Math.Round(decoded.Height * scale));
        var resized = decoded.Resize(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul), SKFilterQuality.High);
        return (resized, (w - size) / 2, (h - size) / 2);
    }
}

/// <summary>A fresh temporary folder, deleted with its contents on dispose.</summary>
internal sealed class ScratchFolder : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "pipeline-onnx-tests", Guid.NewGuid().ToString("N"));

    public ScratchFolder() => Directory.CreateDirectory(Path);

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        if (Directory.Exists(Path))
            Directory.Delete(Path, recursive: true);
    }
}
