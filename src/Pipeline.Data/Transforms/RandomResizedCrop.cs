namespace Pipeline.Data;

/// <summary>
/// torchvision's <c>RandomResizedCrop(size, scale, ratio)</c> followed by <c>RandomHorizontalFlip()</c>,
/// per image: a crop of a random fraction of the image's <em>area</em> (uniform in [scaleMin, scaleMax])
/// with a random aspect ratio (log-uniform in [ratioMin, ratioMax]), ten tries, then torchvision's
/// centre-crop fallback; the crop is resized to size × size with antialiased bilinear filtering
/// (<see cref="BilinearResampler"/>). TorchSharp's own version is not this: it scales the side rather
/// than the area, ignores the ratio, and draws one crop per batch.
/// </summary>
public sealed class RandomResizedCrop : IImageTransform
{
    private const int Attempts = 10;

    public RandomResizedCrop(int size, double scaleMin = 0.08, double scaleMax = 1.0, double ratioMin = 3.0 / 4.0, double ratioMax = 4.0 / 3.0, bool flip = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        if (!(scaleMin > 0 && scaleMin <= scaleMax))
            throw new ArgumentOutOfRangeException(nameof(scaleMin), $"Need 0 < scaleMin <= scaleMax, got [{scaleMin}, {scaleMax}].");
        if (!(ratioMin > 0 && ratioMin <= ratioMax))
            throw new ArgumentOutOfRangeException(nameof(ratioMin), $"Need 0 < ratioMin <= ratioMax, got [{ratioMin}, {ratioMax}].");
        OutputSize = size;
        ScaleMin = scaleMin;
        ScaleMax = scaleMax;
        RatioMin = ratioMin;
        RatioMax = ratioMax;
        Flip = flip;
    }

    public int OutputSize { get; }
    public double ScaleMin { get; }
    public double ScaleMax { get; }
    public double RatioMin { get; }
    public double RatioMax { get; }
    public bool Flip { get; }

    public void Apply(ImageView source, Random rng, Span<byte> destinationChw)
    {
        Chw.CheckDestination(destinationChw, OutputSize);
        var box = SampleCrop(source.Width, source.Height, rng);
        bool mirror = Flip && rng.NextDouble() < 0.5;
        BilinearResampler.ResizeToChw(source, box, OutputSize, mirror, destinationChw);
    }

    /// <summary>
    /// torchvision's <c>RandomResizedCrop.get_params</c>, step for step (Python's round is half-to-even,
    /// as is <see cref="Math.Round(double)"/>).
    /// </summary>
    public CropBox SampleCrop(int width, int height, Random rng)
    {
        double area = (double)width * height;
        double logRatioMin = Math.Log(RatioMin);
        double logRatioMax = Math.Log(RatioMax);
        for (int attempt = 0; attempt < Attempts; attempt++)
        {
            double targetArea = area * Uniform(rng, ScaleMin, ScaleMax);
            double aspectRatio = Math.Exp(Uniform(rng, logRatioMin, logRatioMax));
            int w = (int)Math.Round(Math.Sqrt(targetArea * aspectRatio));
            int h = (int)Math.Round(Math.Sqrt(targetArea / aspectRatio));
            if (w > 0 && w <= width && h > 0 && h <= height)
            {
                int y = rng.Next(0, height - h + 1);
                int x = rng.Next(0, width - w + 1);
                return new CropBox(x, y, w, h);
            }
        }

        // Fallback: the largest centred crop whose ratio is inside the range.
        double inRatio = (double)width / height;
        var (fw, fh) = inRatio < RatioMin ? (width, (int)Math.Round(width / RatioMin))
            : inRatio > RatioMax ? ((int)Math.Round(height * RatioMax), height)
            : (width, height);
        return new CropBox((width - fw) / 2, (height - fh) / 2, fw, fh);
    }

    private static double Uniform(Random rng, double low, double high) => low + (high - low) * rng.NextDouble();
}
