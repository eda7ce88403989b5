using SkiaSharp;

namespace Pipeline.Inference;

/// <summary>
/// An encoded image → the model's input, with the calls ML.NET's <c>LoadImages → ResizeImages(IsoCrop) →
/// ExtractPixels</c> make (Microsoft.ML.ImageAnalytics' <c>MLImage</c>): <c>SKBitmap.Decode</c>, conversion
/// of other colour types to BGRA, the short side resized to the target and the long side centre-cropped by
/// drawing into an opaque bitmap with high filter quality, then planar RGB floats in 0..255. An app that
/// uses this library therefore feeds a model exactly what the project's ML.NET evaluation fed it.
/// </summary>
internal static class ImagePreprocessing
{
    /// <exception cref="InvalidDataException">The bytes are not an image SkiaSharp can decode; the message names <paramref name="source"/>.</exception>
    public static SKBitmap Decode(Stream encoded, string source)
    {
        using var data = SKData.Create(encoded);
        return Decode(data, source);
    }

    /// <inheritdoc cref="Decode(Stream, string)"/>
    public static SKBitmap Decode(ReadOnlySpan<byte> encoded, string source)
    {
        using var data = SKData.CreateCopy(encoded);
        return Decode(data, source);
    }

    /// <summary><c>SKBitmap.Decode(stream)</c>'s own steps (codec, then decode), with a null codec an error rather than a crash.</summary>
    private static SKBitmap Decode(SKData? data, string source)
    {
        using var codec = data is null ? null : SKCodec.Create(data);
        return AsBgraOrRgba((codec is null ? null : SKBitmap.Decode(codec)) ?? throw Undecodable(source));
    }

    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Not an image SkiaSharp can decode.</exception>
    public static SKBitmap DecodeFile(string path)
    {
        if (!File.Exists(path))
            throw NoSuchFile(path);
        using var file = File.OpenRead(path);
        return Decode(file, path);
    }

    public static FileNotFoundException NoSuchFile(string path) => new($"{path}: no such image file.", path);

    private static InvalidDataException Undecodable(string source) =>
        new($"{source}: not an image SkiaSharp can decode (empty, truncated at the header, or an unknown format). Pass a JPEG, PNG, WebP, GIF or BMP.");

    /// <summary>MLImage keeps BGRA and RGBA and copies anything else (greyscale JPEGs: Gray8) to BGRA.</summary>
    private static SKBitmap AsBgraOrRgba(SKBitmap decoded)
    {
        if (decoded.ColorType is SKColorType.Bgra8888 or SKColorType.Rgba8888)
            return decoded;
        using (decoded)
            return decoded.Copy(SKColorType.Bgra8888);
    }

    /// <summary>
    /// Resizes <paramref name="image"/> as <c>MLImage.ResizeWithCrop</c> (centre anchor) does to
    /// <paramref name="width"/> × <paramref name="height"/> and writes planar R, G, B planes of floats in 0..255
    /// to <paramref name="planarRgb"/> (3 × width × height values).
    /// </summary>
    public static void WritePixels(SKBitmap image, int width, int height, Span<float> planarRgb)
    {
        if (planarRgb.Length != 3 * width * height)
            throw new ArgumentException($"{width}×{height} planar RGB needs {3 * width * height} floats, not {planarRgb.Length}.", nameof(planarRgb));

        // MLImage's arithmetic, float for float: the scale that fills the target, the overflowing side centred.
        float widthAspect = (float)width / image.Width;
        float heightAspect = (float)height / image.Height;
        int destX = 0, destY = 0;
        float aspect;
        if (heightAspect < widthAspect)
        {
            aspect = widthAspect;
            destY = (int)((height - (image.Height * aspect)) / 2);
        }
        else
        {
            aspect = heightAspect;
            destX = (int)((width - (image.Width * aspect)) / 2);
        }
        int destWidth = (int)(image.Width * aspect);
        int destHeight = (int)(image.Height * aspect);

        using var resized = new SKBitmap(width, height, isOpaque: true);
        using (var canvas = new SKCanvas(resized))
        using (var paint = new SKPaint { FilterQuality = SKFilterQuality.High })
        {
            canvas.DrawBitmap(image, new SKRect(0, 0, image.Width, image.Height),
                new SKRect(destX, destY, destX + destWidth, destY + destHeight), paint);
        }

        ReadOnlySpan<byte> pixels = resized.GetPixelSpan();
        var (r, b) = resized.ColorType switch
        {
            SKColorType.Bgra8888 => (2, 0),
            SKColorType.Rgba8888 => (0, 2),
            var other => throw new NotSupportedException($"Unexpected pixel format {other} from SkiaSharp."),
        };
        int plane = width * height;
        var red = planarRgb[..plane];
        var green = planarRgb.Slice(plane, plane);
        var blue = planarRgb.Slice(2 * plane, plane);
        for (int i = 0, p = 0; i < plane; i++, p += 4)
        {
            red[i] = pixels[p + r];
            green[i] = pixels[p + 1];
            blue[i] = pixels[p + b];
        }
    }
}
