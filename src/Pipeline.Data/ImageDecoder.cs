using SkiaSharp;

namespace Pipeline.Data;

/// <summary>
/// Decodes a JPEG and resizes it so its short side is a given length, with the very SkiaSharp calls
/// that ML.NET's <c>ResizeImages(resizing: IsoCrop)</c> makes (Microsoft.ML.ImageAnalytics'
/// <c>MLImage.ResizeWithCrop</c>), so the pixels the trainer sees are the pixels the ML.NET
/// evaluation sees. Greyscale and CMYK JPEGs come out as RGB, as they do in ML.NET.
/// </summary>
internal static class ImageDecoder
{
    /// <summary>Why one file cannot be decoded and what to do; the caller adds the file name.</summary>
    internal sealed class UndecodableImageException(string problem) : Exception(problem);

    /// <summary>Reads only the header: the stored width and height.</summary>
    public static (int Width, int Height) ReadSize(string path)
    {
        using var codec = CreateCodec(path);
        return (codec.Info.Width, codec.Info.Height);
    }

    /// <summary>
    /// Size of the image once its short side is resized to <paramref name="shortSide"/>, computed as ML.NET
    /// computes it: a float scale and truncation. That arithmetic makes the short side
    /// <paramref name="shortSide"/> − 1 for some sizes (e.g. 224 → 117); ML.NET then leaves that last row
    /// or column black in its <c>shortSide</c> square, and so do we (<see cref="DecodeResized"/> pads to
    /// the short side), so centre crops stay identical to ML.NET's.
    /// </summary>
    public static (int Width, int Height) ResizedSize(int width, int height, int shortSide)
    {
        var (drawWidth, drawHeight) = DrawSize(width, height, shortSide);
        return (Math.Max(drawWidth, shortSide), Math.Max(drawHeight, shortSide));
    }

    /// <summary>
    /// Decodes <paramref name="path"/>, resizes it to <see cref="ResizedSize"/> and writes the pixels as
    /// RGB, row by row, to <paramref name="rgb"/> (width × height × 3 bytes).
    /// </summary>
    /// <exception cref="UndecodableImageException">The file is corrupt or truncated.</exception>
    public static void DecodeResized(string path, int shortSide, Span<byte> rgb)
    {
        using var decoded = Decode(path);
        // MLImage keeps Bgra8888 and Rgba8888 and converts anything else (Gray8 from greyscale JPEGs) to Bgra8888.
        using var source = decoded.ColorType is SKColorType.Bgra8888 or SKColorType.Rgba8888 ? null : decoded.Copy(SKColorType.Bgra8888);
        var image = source ?? decoded;

        var (drawWidth, drawHeight) = DrawSize(image.Width, image.Height, shortSide);
        var (width, height) = ResizedSize(image.Width, image.Height, shortSide);
        if (rgb.Length != width * height * 3)
            throw new ArgumentException($"{width} x {height} RGB needs {width * height * 3} bytes, not {rgb.Length}.", nameof(rgb));

        // As MLImage.ResizeWithCrop: a fresh opaque bitmap (zero-filled), the whole source drawn into the
        // destination rectangle with high filter quality. ML.NET offsets the rectangle to centre it in
        // its square; we draw at the origin and keep the whole short-side-resized image instead, which is
        // the same sampling shifted by whole pixels.
        using var resized = new SKBitmap(width, height, isOpaque: true);
        using (var canvas = new SKCanvas(resized))
        using (var paint = new SKPaint { FilterQuality = SKFilterQuality.High })
        {
            canvas.DrawBitmap(image, new SKRect(0, 0, image.Width, image.Height), new SKRect(0, 0, drawWidth, drawHeight), paint);
        }
        CopyToRgb(resized, rgb);
    }

    /// <summary>
    /// Why <paramref name="path"/> cannot be decoded, in the words the cache build uses, or null when it decodes
    /// completely: the one strict check of an image's content (SkiaSharp itself would fill a truncated image with grey).
    /// </summary>
    public static string? Check(string path)
    {
        try
        {
            using var decoded = Decode(path);
            return null;
        }
        catch (UndecodableImageException e)
        {
            return e.Message;
        }
        catch (IOException e)
        {
            return e.Message;
        }
    }

    /// <summary>The destination rectangle's size, exactly as ML.NET computes it for an IsoCrop to a square.</summary>
    private static (int Width, int Height) DrawSize(int width, int height, int shortSide)
    {
        float widthAspect = (float)shortSide / width;
        float heightAspect = (float)shortSide / height;
        float aspect = heightAspect < widthAspect ? widthAspect : heightAspect;
        return ((int)(width * aspect), (int)(height * aspect));
    }

    /// <summary>
    /// <c>SKBitmap.Decode</c>'s own steps (premultiplied alpha, no colour space), except that a truncated
    /// file is an error here where SkiaSharp returns it with its missing part filled in grey.
    /// </summary>
    private static SKBitmap Decode(string path)
    {
        using var codec = CreateCodec(path);
        var info = codec.Info;
        if (info.AlphaType == SKAlphaType.Unpremul)
            info.AlphaType = SKAlphaType.Premul;
        info.ColorSpace = null;

        var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result == SKCodecResult.Success)
            return bitmap;

        bitmap.Dispose();
        string why = result == SKCodecResult.IncompleteInput ? "the JPEG is truncated (its data ends early)" : $"the JPEG data is corrupt (SkiaSharp: {result})";
        throw new UndecodableImageException($"{why}. Delete the file or replace it with the original image from the archive.");
    }

    private static SKCodec CreateCodec(string path)
    {
        // Read through .NET rather than SkiaSharp's path overloads, so any file name .NET can open
        // (spaces, non-ASCII) works the same on every platform. The codec keeps its own reference to the data.
        using var file = File.OpenRead(path);
        using var data = SKData.Create(file);
        return SKCodec.Create(data)
            ?? throw new UndecodableImageException("SkiaSharp cannot read it as an image (unknown or corrupt format). Delete the file or replace it with the original image from the archive.");
    }

    private static void CopyToRgb(SKBitmap bitmap, Span<byte> rgb)
    {
        ReadOnlySpan<byte> pixels = bitmap.GetPixelSpan();
        var (r, b) = bitmap.ColorType switch
        {
            SKColorType.Bgra8888 => (2, 0),
            SKColorType.Rgba8888 => (0, 2),
            var other => throw new NotSupportedException($"Unexpected pixel format {other} from SkiaSharp."),
        };
        for (int i = 0, o = 0; o < rgb.Length; i += 4, o += 3)
        {
            rgb[o] = pixels[i + r];
            rgb[o + 1] = pixels[i + 1];
            rgb[o + 2] = pixels[i + b];
        }
    }
}
