namespace Pipeline.Data;

/// <summary>
/// The fastai-style train transform of the reference experiment: the cache already holds the image
/// resized to a short side a little larger than the input (e.g. 144 for 128), and each epoch takes a
/// random <c>size</c>-square from it, with no flip and no rescaling.
/// </summary>
public sealed class ResizeThenRandomCrop(int size) : IImageTransform
{
    public int OutputSize { get; } = size > 0 ? size : throw new ArgumentOutOfRangeException(nameof(size), size, "The crop size must be positive.");

    public void Apply(ImageView source, Random rng, Span<byte> destinationChw)
    {
        Chw.CheckDestination(destinationChw, OutputSize);
        Chw.CheckFits(source, OutputSize, nameof(ResizeThenRandomCrop));
        // Row first, then column, as torchvision's RandomCrop.get_params draws them.
        int y = rng.Next(0, source.Height - OutputSize + 1);
        int x = rng.Next(0, source.Width - OutputSize + 1);
        Chw.CopyCrop(source, x, y, OutputSize, destinationChw);
    }
}
