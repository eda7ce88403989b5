using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace Pipeline.Data.Tests;

/// <summary>
/// The evaluation runs ML.NET's <c>LoadImages → ResizeImages(S, S, IsoCrop) → ExtractPixels</c>; the cache
/// at short side S plus <see cref="CenterCrop"/>(S) must give the trainer exactly those pixels.
/// </summary>
public class MlNetParityTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private sealed class ImagePath
    {
        public string Path { get; set; } = "";
    }

    private sealed class ExtractedPixels
    {
        public float[] Pixels { get; set; } = [];
    }

    [Theory]
    [InlineData(144)]
    [InlineData(128)]
    [InlineData(117)] // a size where ML.NET's float arithmetic leaves a black edge: reproduced too
    public void CacheAndCenterCropGiveMlNetsPixelsExactly(int size)
    {
        // 12 colour images and 4 of the single-channel ones.
        var images = SharedData.FirstPerClass(SharedData.Dataset.Val, 2).Take(12).Concat(SharedData.GreyscaleVal(4)).ToList();
        using var cache = DecodedImageCache.BuildOrOpen(images, size, SharedData.Dataset.Fingerprint, _temp.Path);
        var crop = new CenterCrop(size);
        var ours = new byte[3 * size * size];

        var ml = new MLContext(seed: 0);
        var input = ml.Data.LoadFromEnumerable(images.Select(i => new ImagePath { Path = i.Path }));
        var pipeline = ml.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: nameof(ImagePath.Path))
            .Append(ml.Transforms.ResizeImages("Resized", size, size, "Image", ImageResizingEstimator.ResizingKind.IsoCrop))
            .Append(ml.Transforms.ExtractPixels(nameof(ExtractedPixels.Pixels), "Resized", interleavePixelColors: false));
        var theirs = ml.Data.CreateEnumerable<ExtractedPixels>(pipeline.Fit(input).Transform(input), reuseRowObject: false).ToList();

        Assert.Equal(images.Count, theirs.Count);
        for (int i = 0; i < images.Count; i++)
        {
            crop.Apply(cache.Get(i), new Random(0), ours);
            Assert.Equal(ours.Length, theirs[i].Pixels.Length);
            int differing = 0;
            for (int p = 0; p < ours.Length; p++)
                differing += ours[p] == theirs[i].Pixels[p] ? 0 : 1;
            Assert.True(differing == 0, $"{images[i].RelativePath} at {size}: {differing} of {ours.Length} values differ from ML.NET's");
        }
    }
}
