namespace Pipeline.Data;

/// <summary>A decoded image: <see cref="Height"/> rows of <see cref="Width"/> RGB pixels, 3 bytes each (HWC).</summary>
public readonly ref struct ImageView
{
    public ImageView(int width, int height, ReadOnlySpan<byte> rgb)
    {
        if (rgb.Length != width * height * 3)
            throw new ArgumentException($"An RGB image of {width} x {height} needs {width * height * 3} bytes, not {rgb.Length}.", nameof(rgb));
        Width = width;
        Height = height;
        Rgb = rgb;
    }

    public int Width { get; }
    public int Height { get; }
    public ReadOnlySpan<byte> Rgb { get; }
}
