using Microsoft.ML;
using Microsoft.ML.Data;
using Pipeline.Evaluation;
using Pipeline.Evaluation.Tests.Fixtures;
using Pipeline.Experiments;
using Pipeline.Models;
using SkiaSharp;

namespace Pipeline.Inference.Tests;

/// <summary>
/// An app using the library must see what the project's ML.NET evaluation saw: the same pixels for every
/// image, hence the same probabilities from the same model.
/// </summary>
public sealed class MlNetParityTests : IDisposable
{
    private readonly TestModels _models = new();

    public void Dispose() => _models.Dispose();

    /// <summary>Real val images of every class, plus the colour types ML.NET converts: greyscale JPEG, PNG with alpha.</summary>
    private List<string> Images()
    {
        var images = Imagenette.ValSlice(perClass: 2).Examples.Select(e => e.ImagePath).ToList();
        images.Add(Encode("grey.jpg", SKColorType.Gray8, SKEncodedImageFormat.Jpeg, 150, 97));
        images.Add(Encode("alpha.png", SKColorType.Rgba8888, SKEncodedImageFormat.Png, 61, 130));
        return images;
    }

    private string Encode(string name, SKColorType colorType, SKEncodedImageFormat format, int width, int height)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, colorType, SKAlphaType.Premul));
        var rng = new Random(7);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
                bitmap.SetPixel(x, y, new SKColor((byte)(x * 4), (byte)(y * 2), (byte)rng.Next(256), (byte)(128 + x % 128)));
        }
        using var data = bitmap.Encode(format, 90);
        string path = _models.Path_(name);
        File.WriteAllBytes(path, data.ToArray());
        return path;
    }

    /// <summary>ML.NET's pipeline over <paramref name="images"/>: per image, the pixels it fed and the probabilities it got.</summary>
    private static (float[][] Pixels, float[][] Probabilities) MlNet(string model, IReadOnlyList<string> images)
    {
        var ml = new MLContext(seed: 0);
        var inspected = OnnxModelInspector.Inspect(new ModelToEvaluate(model), ExecutionDevice.Cpu());
        var data = ImageClassificationPipeline.LoadExamples(ml, images.Select(p => new LabeledExample(p, Imagenette.Wnids[0])));
        var pipeline = ImageClassificationPipeline.Create(ml, inspected).Fit(data);
        try
        {
            var scored = pipeline.Transform(data);
            return (scored.GetColumn<float[]>(ImageClassificationPipeline.Columns.Pixels).ToArray(),
                    scored.GetColumn<float[]>(ImageClassificationPipeline.Columns.Probabilities).ToArray());
        }
        finally
        {
            (pipeline as IDisposable)?.Dispose();
        }
    }

    [Fact]
    public void Every_image_becomes_exactly_the_pixels_ml_net_feeds_the_model()
    {
        string model = _models.Random("tiny");
        var images = Images();
        var (expected, _) = MlNet(model, images);
        var metadata = TestModels.Metadata(Imagenette.Classes);

        for (int i = 0; i < images.Count; i++)
        {
            var actual = new float[3 * metadata.InputWidth * metadata.InputHeight];
            using (var image = ImagePreprocessing.DecodeFile(images[i]))
                ImagePreprocessing.WritePixels(image, metadata.InputWidth, metadata.InputHeight, actual);
            int diff = Enumerable.Range(0, actual.Length).FirstOrDefault(k => actual[k] != expected[i][k], -1);
            Assert.True(diff < 0, $"{images[i]}: pixel value {diff} is {(diff < 0 ? 0 : actual[diff])}, ML.NET fed {(diff < 0 ? 0 : expected[i][diff])}");
        }
    }

    [Theory]
    [InlineData(ResNetFlavour.Torchvision, false)]
    [InlineData(ResNetFlavour.Timm, true)]
    public void An_exported_resnet18_gives_the_probabilities_ml_net_gets(ResNetFlavour flavour, bool zeroInitLast)
    {
        string model = ExportedResNets.Export(_models.Path_($"{flavour}.onnx"), new ResNetConfig(flavour, zeroInitLast, HeadKind.Fastai), seed: 3);
        var images = Images();
        var (_, expected) = MlNet(model, images);

        using var classifier = ImageClassifier.Load(model, new ClassifierOptions { Device = ComputeDevice.Cpu, MaxBatchSize = 7 });
        var results = classifier.ClassifyBatch(images, topK: 10);

        for (int i = 0; i < images.Count; i++)
        {
            Assert.Equal(10, results[i].Count);
            foreach (var p in results[i])
                Assert.True(Math.Abs(p.Probability - expected[i][p.Index]) < 1e-5f,
                    $"{images[i]}, class {p.ClassId}: {p.Probability} here, {expected[i][p.Index]} in ML.NET");
            int mlNetTop = Array.IndexOf(expected[i], expected[i].Max());
            Assert.Equal(mlNetTop, results[i][0].Index);
        }
    }
}
