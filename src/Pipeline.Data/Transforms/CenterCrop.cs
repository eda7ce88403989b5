namespace Pipeline.Data;

/// <summary>
/// Validation: the centre <c>size</c>-square of the cached (short-side-resized) image. The offset is
/// rounded down, (width − size) / 2, which is where ML.NET's IsoCrop puts its crop, so a cache at short
/// side S with <c>CenterCrop(S)</c> gives exactly ML.NET's <c>ResizeImages(S, S)</c> pixels.
/// </summary>
public sealed class CenterCrop(int size) : IImageTransform
{
    public int OutputSize { get; } = size > 0 ? size : throw new ArgumentOutOfRangeException(nameof(size), size, "The crop size must be positive.");

    public void Apply(ImageView source, Random rng, Span<byte> destinationChw)
    {
        Chw.CheckDestination(destinationChw, OutputSize);
        Chw.CheckFits(source, OutputSize, nameof(CenterCrop));
        Chw.CopyCrop(source, Offset(source.Width, OutputSize), Offset(source.Height, OutputSize), OutputSize, destinationChw);
    }

    /// <summary>
    /// Where a centre crop of <paramref name="crop"/> starts along a side of <paramref name="size"/> pixels:
    /// floor((size − crop) / 2). The one definition: validation here, the exported graph's crop and its model card use it.
    /// </summary>
    public static int Offset(int size, int crop) => (size - crop) / 2;
}
