namespace Pipeline.Data;

/// <summary>
/// Turns one cached image into one network input: planar RGB uint8 (3 × <see cref="OutputSize"/> ×
/// <see cref="OutputSize"/>, channel-first). All randomness comes from the <see cref="Random"/> handed
/// in, which <see cref="BatchLoader"/> seeds per image, so results never depend on thread scheduling.
/// </summary>
public interface IImageTransform
{
    int OutputSize { get; }

    void Apply(ImageView source, Random rng, Span<byte> destinationChw);
}

/// <summary>A pixel rectangle inside an image.</summary>
public readonly record struct CropBox(int X, int Y, int Width, int Height);

/// <summary>Shared checks and copies of the transforms.</summary>
internal static class Chw
{
    public static void CheckDestination(Span<byte> destinationChw, int size)
    {
        if (destinationChw.Length != 3 * size * size)
            throw new ArgumentException($"The destination must hold 3 x {size} x {size} = {3 * size * size} bytes, not {destinationChw.Length}.", nameof(destinationChw));
    }

    public static void CheckFits(ImageView source, int size, string transform)
    {
        if (source.Width < size || source.Height < size)
        {
            throw new ArgumentException(
                $"{transform}({size}) needs images of at least {size} x {size}, got {source.Width} x {source.Height}: build the decoded cache with a short side of at least {size}.",
                nameof(source));
        }
    }

    /// <summary>Copies the <paramref name="size"/>-square at (<paramref name="x"/>, <paramref name="y"/>) from HWC to CHW.</summary>
    public static void CopyCrop(ImageView source, int x, int y, int size, Span<byte> destinationChw)
    {
        int plane = size * size;
        var red = destinationChw[..plane];
        var green = destinationChw.Slice(plane, plane);
        var blue = destinationChw.Slice(2 * plane, plane);
        for (int row = 0; row < size; row++)
        {
            var line = source.Rgb.Slice(((y + row) * source.Width + x) * 3, size * 3);
            int o = row * size;
            for (int col = 0, i = 0; col < size; col++, i += 3)
            {
                red[o + col] = line[i];
                green[o + col] = line[i + 1];
                blue[o + col] = line[i + 2];
            }
        }
    }
}
