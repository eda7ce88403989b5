using SkiaSharp;

namespace Pipeline.Data.Tests;

public class ImageDecoderTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static byte[] Decode(string path, int shortSide, out int width, out int height)
    {
        var (w, h) = ImageDecoder.ReadSize(path);
        (width, height) = ImageDecoder.ResizedSize(w, h, shortSide);
        var rgb = new byte[width * height * 3];
        ImageDecoder.DecodeResized(path, shortSide, rgb);
        return rgb;
    }

    [Fact]
    public void GreyscaleJpegsBecomeRgbWithEqualChannels()
    {
        var grey = SharedData.GreyscaleVal(1).Single();

        byte[] rgb = Decode(grey.Path, 224, out _, out _);

        for (int i = 0; i < rgb.Length; i += 3)
            Assert.True(rgb[i] == rgb[i + 1] && rgb[i + 1] == rgb[i + 2], $"pixel {i / 3} of {grey.RelativePath} is not grey");
        Assert.True(rgb.Distinct().Count() > 16, "a real photo has more than a few grey levels");
    }

    [Fact]
    public void CmykJpegsBecomeRgb()
    {
        string path = _temp.Combine("cmyk.JPEG");
        // Adobe CMYK is stored inverted: with K = 255 (no black ink) the RGB is the stored C, M, Y.
        File.WriteAllBytes(path, SyntheticJpeg.FlatCmyk(200, 100, 50, 255));

        byte[] rgb = Decode(path, 8, out int width, out int height);

        Assert.Equal((8, 8), (width, height));
        for (int i = 0; i < rgb.Length; i += 3)
        {
            Assert.InRange(rgb[i], 198, 202);
            Assert.InRange(rgb[i + 1], 98, 102);
            Assert.InRange(rgb[i + 2], 48, 52);
        }
    }

    [Fact]
    public void ResizesTheShortSideKeepingTheAspectRatio()
    {
        string path = _temp.Combine("wide.JPEG");
        File.WriteAllBytes(path, SyntheticJpeg.Solid(300, 200, new SKColor(10, 200, 30)));

        byte[] rgb = Decode(path, 100, out int width, out int height);

        Assert.Equal((150, 100), (width, height));
        Assert.InRange(rgb[(50 * 150 + 75) * 3 + 1], 195, 205);
    }

    [Theory]
    [InlineData(224, 117, 116)] // float arithmetic: 224 * (117f / 224) = 116.99999
    [InlineData(224, 144, 144)]
    [InlineData(224, 128, 128)]
    public void SizesFollowMlNetsFloatArithmetic(int side, int shortSide, int drawnSide)
    {
        Assert.Equal((shortSide, shortSide), ImageDecoder.ResizedSize(side, side, shortSide));

        string path = _temp.Combine("white.JPEG");
        File.WriteAllBytes(path, SyntheticJpeg.Solid(side, side, SKColors.White));
        byte[] rgb = Decode(path, shortSide, out _, out _);

        // ML.NET draws a drawnSide square into its shortSide square; the rest stays black.
        Assert.Equal(shortSide > drawnSide ? 0 : 255, rgb[(shortSide * shortSide - 1) * 3]);
        Assert.True(rgb[((drawnSide - 1) * shortSide + drawnSide - 1) * 3] > 250);
    }
}
