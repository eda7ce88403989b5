namespace Pipeline.Data.Tests;

public class TransformTests
{
    /// <summary>An image whose red channel is x and green channel is y, so a crop tells where it came from.</summary>
    private static byte[] Coordinates(int width, int height)
    {
        var rgb = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                int i = (y * width + x) * 3;
                (rgb[i], rgb[i + 1], rgb[i + 2]) = ((byte)x, (byte)y, (byte)((x * 7 + y * 13) % 256));
            }
        return rgb;
    }

    private static byte Red(byte[] chw, int size, int x, int y) => chw[y * size + x];
    private static byte Green(byte[] chw, int size, int x, int y) => chw[size * size + y * size + x];

    /// <summary>Kolmogorov–Smirnov distance between a sample and the uniform distribution on [low, high].</summary>
    private static double KsToUniform(IEnumerable<double> sample, double low, double high)
    {
        var sorted = sample.Order().ToArray();
        double worst = 0;
        for (int i = 0; i < sorted.Length; i++)
        {
            double cdf = Math.Clamp((sorted[i] - low) / (high - low), 0, 1);
            worst = Math.Max(worst, Math.Max(Math.Abs(cdf - (double)i / sorted.Length), Math.Abs(cdf - (double)(i + 1) / sorted.Length)));
        }
        return worst;
    }

    // For 4000 samples the 0.1 % critical KS distance is 1.95 / sqrt(4000) = 0.031.
    private const int Samples = 4000;
    private const double KsTolerance = 0.031;

    [Fact]
    public void RandomResizedCropAreaIsUniformInScaleAndLogRatioUniformInRatio()
    {
        // A large image and scale <= 0.5, so the first try always fits and rounding is negligible:
        // the accepted crops are the drawn ones, before any clamping or fallback.
        var rrc = new RandomResizedCrop(128, scaleMin: 0.08, scaleMax: 0.5);
        var rng = new Random(1234);
        var crops = Enumerable.Range(0, Samples).Select(_ => rrc.SampleCrop(4000, 4000, rng)).ToList();

        var areaFraction = crops.Select(c => (double)c.Width * c.Height / (4000.0 * 4000.0)).ToList();
        var logRatio = crops.Select(c => Math.Log((double)c.Width / c.Height)).ToList();

        Assert.True(KsToUniform(areaFraction, 0.08, 0.5) < KsTolerance, $"area fraction is not uniform on [0.08, 0.5]: KS {KsToUniform(areaFraction, 0.08, 0.5):F3}");
        Assert.True(KsToUniform(logRatio, Math.Log(3.0 / 4), Math.Log(4.0 / 3)) < KsTolerance, $"log ratio is not uniform: KS {KsToUniform(logRatio, Math.Log(3.0 / 4), Math.Log(4.0 / 3)):F3}");
        // The test can tell the bug TorchSharp has (scale drawn on the side, not the area) from the definition.
        var sideFraction = areaFraction.Select(Math.Sqrt);
        Assert.True(KsToUniform(sideFraction, 0.08, 0.5) > 0.1, "the side-scaled distribution must be far from uniform in this test");
    }

    [Fact]
    public void RandomResizedCropPositionsAreUniformOverTheFreeRange()
    {
        var rrc = new RandomResizedCrop(64, scaleMin: 0.25, scaleMax: 0.25, ratioMin: 1, ratioMax: 1);
        var rng = new Random(7);
        var crops = Enumerable.Range(0, Samples).Select(_ => rrc.SampleCrop(200, 200, rng)).ToList();

        Assert.All(crops, c => Assert.Equal((100, 100), (c.Width, c.Height)));
        Assert.True(KsToUniform(crops.Select(c => c.X + 0.5), 0, 101) < KsTolerance);
        Assert.True(KsToUniform(crops.Select(c => c.Y + 0.5), 0, 101) < KsTolerance);
        Assert.Equal((0, 100), (crops.Min(c => c.X), crops.Max(c => c.X)));
    }

    [Fact]
    public void RandomResizedCropWithDefaultsStaysInsideAndWithinItsRanges()
    {
        var rrc = new RandomResizedCrop(128);
        var rng = new Random(99);
        foreach (var (w, h) in new[] { (144, 144), (213, 144), (144, 300) })
        {
            for (int i = 0; i < 1000; i++)
            {
                var c = rrc.SampleCrop(w, h, rng);
                Assert.True(c.X >= 0 && c.Y >= 0 && c.X + c.Width <= w && c.Y + c.Height <= h, $"{c} outside {w} x {h}");
                double fraction = (double)c.Width * c.Height / (w * h);
                Assert.InRange(fraction, 0.07, 1.0);
            }
        }
    }

    [Theory]
    [InlineData(300, 100, 83, 0, 133, 100)] // too wide: the widest crop of ratio 4/3, centred
    [InlineData(100, 300, 0, 83, 100, 133)] // too tall: the tallest crop of ratio 3/4, centred
    [InlineData(200, 180, 0, 0, 200, 180)]  // ratio inside the range: the whole image
    public void RandomResizedCropFallsBackToTorchvisionsCentreCrop(int width, int height, int x, int y, int w, int h)
    {
        var impossible = new RandomResizedCrop(32, scaleMin: 2, scaleMax: 3); // no try can fit

        Assert.Equal(new CropBox(x, y, w, h), impossible.SampleCrop(width, height, new Random(5)));
    }

    [Fact]
    public void RandomResizedCropFlipsHalfTheTime()
    {
        // Left half black, right half white; the crop is the whole image, so only a flip changes the output.
        const int side = 32;
        var rgb = new byte[side * side * 3];
        for (int i = 0; i < side * side; i++)
            rgb.AsSpan(i * 3, 3).Fill(i % side < side / 2 ? (byte)0 : (byte)255);
        var rrc = new RandomResizedCrop(side, scaleMin: 1, scaleMax: 1, ratioMin: 1, ratioMax: 1);
        var output = new byte[3 * side * side];
        var rng = new Random(11);

        int flipped = 0;
        for (int i = 0; i < Samples; i++)
        {
            rrc.Apply(new ImageView(side, side, rgb), rng, output);
            flipped += output[0] == 255 ? 1 : 0;
        }

        Assert.InRange(flipped / (double)Samples, 0.47, 0.53); // 4 standard deviations

        var noFlip = new RandomResizedCrop(side, scaleMin: 1, scaleMax: 1, ratioMin: 1, ratioMax: 1, flip: false);
        noFlip.Apply(new ImageView(side, side, rgb), rng, output);
        Assert.Equal(0, output[0]);
    }

    [Fact]
    public void RandomResizedCropIsReproducibleFromItsSeed()
    {
        var rgb = Coordinates(144, 160);
        var rrc = new RandomResizedCrop(64);
        var a = new byte[3 * 64 * 64];
        var b = new byte[3 * 64 * 64];
        var c = new byte[3 * 64 * 64];

        rrc.Apply(new ImageView(144, 160, rgb), new Random(42), a);
        rrc.Apply(new ImageView(144, 160, rgb), new Random(42), b);
        rrc.Apply(new ImageView(144, 160, rgb), new Random(43), c);

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void ResamplerCopiesExactlyAtTheSameSize()
    {
        var rgb = Coordinates(40, 30);
        var output = new byte[3 * 16 * 16];

        BilinearResampler.ResizeToChw(new ImageView(40, 30, rgb), new CropBox(5, 7, 16, 16), 16, mirror: false, output);

        for (int y = 0; y < 16; y++)
            for (int x = 0; x < 16; x++)
                Assert.Equal((5 + x, 7 + y), (Red(output, 16, x, y), Green(output, 16, x, y)));
    }

    [Fact]
    public void ResamplerAntialiasesLikePillowWhenShrinking()
    {
        // One row 0, 100, 200, 250 halved: Pillow's triangle filter widened to support 2 gives
        // (0·3 + 100·3 + 200·1) / 7 = 71.4 and (100·1 + 200·3 + 250·3) / 7 = 207.1.
        byte[] row = [0, 0, 0, 100, 100, 100, 200, 200, 200, 250, 250, 250];
        var output = new byte[3 * 2 * 2];
        BilinearResampler.ResizeToChw(new ImageView(4, 1, row), new CropBox(0, 0, 4, 1), 2, mirror: false, output);
        Assert.Equal([71, 207, 71, 207], output[..4]);

        // A one-pixel checkerboard halved is flat grey: plain bilinear sampling would alias it.
        var checker = new byte[64 * 64 * 3];
        for (int i = 0; i < 64 * 64; i++)
            checker.AsSpan(i * 3, 3).Fill(((i % 64) + (i / 64)) % 2 == 0 ? (byte)0 : (byte)255);
        var small = new byte[3 * 32 * 32];
        BilinearResampler.ResizeToChw(new ImageView(64, 64, checker), new CropBox(0, 0, 64, 64), 32, mirror: false, small);
        Assert.All(small.Skip(33).Take(30), v => Assert.InRange(v, 120, 135));
    }

    [Fact]
    public void ResamplerMirrorsWhenAsked()
    {
        var rgb = Coordinates(20, 20);
        var output = new byte[3 * 20 * 20];
        BilinearResampler.ResizeToChw(new ImageView(20, 20, rgb), new CropBox(0, 0, 20, 20), 20, mirror: true, output);
        Assert.Equal(19, Red(output, 20, 0, 5));
        Assert.Equal(0, Red(output, 20, 19, 5));
    }

    [Fact]
    public void ResizeThenRandomCropCopiesAUniformlyPlacedSquareWithoutFlip()
    {
        var rgb = Coordinates(150, 144);
        var crop = new ResizeThenRandomCrop(128);
        var output = new byte[3 * 128 * 128];
        var rng = new Random(3);
        var xs = new List<int>();
        var ys = new List<int>();

        for (int i = 0; i < 2000; i++)
        {
            crop.Apply(new ImageView(150, 144, rgb), rng, output);
            int x0 = Red(output, 128, 0, 0), y0 = Green(output, 128, 0, 0);
            Assert.Equal((x0 + 127, y0 + 127), (Red(output, 128, 127, 127), Green(output, 128, 127, 127)));
            xs.Add(x0);
            ys.Add(y0);
        }

        Assert.Equal(Enumerable.Range(0, 23), xs.Distinct().Order());
        Assert.Equal(Enumerable.Range(0, 17), ys.Distinct().Order());
        Assert.True(KsToUniform(xs.Select(x => x + 0.5), 0, 23) < 0.05);
    }

    [Theory]
    [InlineData(10, 7, 4, 3, 1)]
    [InlineData(9, 9, 4, 2, 2)] // odd margin: rounded down, like ML.NET's IsoCrop
    [InlineData(144, 144, 128, 8, 8)]
    public void CenterCropTakesTheCentre(int width, int height, int size, int x, int y)
    {
        var output = new byte[3 * size * size];

        new CenterCrop(size).Apply(new ImageView(width, height, Coordinates(width, height)), new Random(0), output);

        Assert.Equal((x, y), (Red(output, size, 0, 0), Green(output, size, 0, 0)));
        Assert.Equal((x + size - 1, y + size - 1), (Red(output, size, size - 1, size - 1), Green(output, size, size - 1, size - 1)));
    }

    [Fact]
    public void CropsLargerThanTheCachedImageExplainTheFix()
    {
        var output = new byte[3 * 128 * 128];
        var error = Assert.Throws<ArgumentException>(() => new CenterCrop(128).Apply(new ImageView(120, 120, new byte[120 * 120 * 3]), new Random(0), output));
        Assert.Contains("short side of at least 128", error.Message);
        Assert.Throws<ArgumentException>(() => new ResizeThenRandomCrop(128).Apply(new ImageView(144, 144, new byte[144 * 144 * 3]), new Random(0), new byte[10]));
    }
}
