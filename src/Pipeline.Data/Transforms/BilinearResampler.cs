namespace Pipeline.Data;

/// <summary>
/// Resizes a crop with the bilinear (triangle) filter the way Pillow does, which is what torchvision's
/// <c>resized_crop</c> uses for PIL images (and for tensors with <c>antialias=True</c>): when shrinking,
/// the filter widens by the shrink factor so every source pixel contributes (antialiasing); the filter
/// window stops at the crop's edges. Separable, with the weights computed once per image and axis.
/// Arithmetic is float, rounded to the nearest byte once at the end (Pillow rounds after each pass
/// in fixed point, so a byte may differ by one).
/// </summary>
internal static class BilinearResampler
{
    // Holds the horizontally resized rows; reused per thread because it can exceed the large-object threshold.
    [ThreadStatic] private static float[]? t_rows;

    public static void ResizeToChw(ImageView source, CropBox box, int size, bool mirror, Span<byte> destinationChw)
    {
        if (box.X < 0 || box.Y < 0 || box.Width < 1 || box.Height < 1 || box.X + box.Width > source.Width || box.Y + box.Height > source.Height)
            throw new ArgumentOutOfRangeException(nameof(box), box, $"The crop must lie inside the {source.Width} x {source.Height} image.");

        var horizontal = new Weights(box.X, box.Width, size);
        var vertical = new Weights(box.Y, box.Height, size);
        int rowLength = size * 3;
        int needed = box.Height * rowLength;
        if (t_rows is null || t_rows.Length < needed)
            t_rows = new float[needed];
        var rows = t_rows.AsSpan(0, needed);

        for (int r = 0; r < box.Height; r++)
        {
            var line = source.Rgb.Slice((box.Y + r) * source.Width * 3, source.Width * 3);
            var output = rows.Slice(r * rowLength, rowLength);
            for (int ox = 0; ox < size; ox++)
            {
                var weights = horizontal.For(ox, out int first);
                float red = 0, green = 0, blue = 0;
                for (int k = 0, i = first * 3; k < weights.Length; k++, i += 3)
                {
                    float w = weights[k];
                    red += w * line[i];
                    green += w * line[i + 1];
                    blue += w * line[i + 2];
                }
                output[ox * 3] = red;
                output[ox * 3 + 1] = green;
                output[ox * 3 + 2] = blue;
            }
        }

        int plane = size * size;
        for (int oy = 0; oy < size; oy++)
        {
            var weights = vertical.For(oy, out int first);
            int firstRow = first - box.Y;
            for (int ox = 0; ox < size; ox++)
            {
                float red = 0, green = 0, blue = 0;
                for (int k = 0, i = firstRow * rowLength + ox * 3; k < weights.Length; k++, i += rowLength)
                {
                    float w = weights[k];
                    red += w * rows[i];
                    green += w * rows[i + 1];
                    blue += w * rows[i + 2];
                }
                int o = oy * size + (mirror ? size - 1 - ox : ox);
                destinationChw[o] = ToByte(red);
                destinationChw[plane + o] = ToByte(green);
                destinationChw[2 * plane + o] = ToByte(blue);
            }
        }
    }

    // The weights are non-negative and sum to one, so the value is already within 0..255.
    private static byte ToByte(float value) => (byte)Math.Clamp((int)(value + 0.5f), 0, 255);

    /// <summary>
    /// For each output pixel along one axis, the first source pixel and the normalised weights of the
    /// source pixels it averages (Pillow's <c>precompute_coeffs</c> with the triangle filter).
    /// </summary>
    private sealed class Weights
    {
        private readonly int[] _first;
        private readonly int[] _count;
        private readonly float[] _weights;
        private readonly int _stride;

        public Weights(int start, int length, int outputSize)
        {
            double scale = (double)length / outputSize;
            double filterScale = Math.Max(scale, 1.0);
            double support = 1.0 * filterScale; // the triangle filter's support is 1
            _stride = (int)Math.Ceiling(support) * 2 + 1;
            _first = new int[outputSize];
            _count = new int[outputSize];
            _weights = new float[outputSize * _stride];

            Span<double> raw = stackalloc double[_stride];
            for (int o = 0; o < outputSize; o++)
            {
                double center = (o + 0.5) * scale;
                int min = Math.Max((int)(center - support + 0.5), 0);
                int max = Math.Min((int)(center + support + 0.5), length);
                double total = 0;
                for (int i = min; i < max; i++)
                {
                    raw[i - min] = Triangle((i - center + 0.5) / filterScale);
                    total += raw[i - min];
                }
                for (int i = min; i < max; i++)
                    _weights[o * _stride + i - min] = (float)(total == 0 ? 0 : raw[i - min] / total);
                _first[o] = start + min;
                _count[o] = max - min;
            }
        }

        public ReadOnlySpan<float> For(int output, out int first)
        {
            first = _first[output];
            return _weights.AsSpan(output * _stride, _count[output]);
        }

        private static double Triangle(double x)
        {
            x = Math.Abs(x);
            return x < 1.0 ? 1.0 - x : 0.0;
        }
    }
}
