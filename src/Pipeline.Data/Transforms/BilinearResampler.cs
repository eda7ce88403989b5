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

    public static unsafe void ResizeToChw(ImageView source, CropBox box, int size, bool mirror, Span<byte> destinationChw)
    {
        if (box.X < 0 || box.Y < 0 || box.Width < 1 || box.Height < 1 || box.X + box.Width > source.Width || box.Y + box.Height > source.Height)
            throw new ArgumentOutOfRangeException(nameof(box), box, $"The crop must lie inside the {source.Width} x {source.Height} image.");
        if (destinationChw.Length != 3 * size * size)
            throw new ArgumentException($"The destination must hold 3 x {size} x {size} bytes.", nameof(destinationChw));

        var horizontal = new Weights(box.X, box.Width, size);
        var vertical = new Weights(box.Y, box.Height, size);
        int rowLength = size * 3;
        int needed = box.Height * rowLength;
        if (t_rows is null || t_rows.Length < needed)
            t_rows = new float[needed];

        // Pointers rather than spans in the two hot loops: the bounds were checked above and by Weights,
        // and this is most of the loader's CPU time.
        fixed (byte* image = source.Rgb)
        fixed (float* rows = t_rows)
        fixed (byte* destination = destinationChw)
        fixed (int* hFirst = horizontal.First, hCount = horizontal.Count, vFirst = vertical.First, vCount = vertical.Count)
        fixed (float* hWeights = horizontal.Values, vWeights = vertical.Values)
        {
            for (int r = 0; r < box.Height; r++)
            {
                byte* line = image + (long)(box.Y + r) * source.Width * 3;
                float* output = rows + r * rowLength;
                for (int ox = 0; ox < size; ox++)
                {
                    byte* pixel = line + hFirst[ox] * 3;
                    float* w = hWeights + ox * horizontal.Stride;
                    float red = 0, green = 0, blue = 0;
                    for (int k = 0, n = hCount[ox]; k < n; k++, pixel += 3)
                    {
                        red += w[k] * pixel[0];
                        green += w[k] * pixel[1];
                        blue += w[k] * pixel[2];
                    }
                    output[ox * 3] = red;
                    output[ox * 3 + 1] = green;
                    output[ox * 3 + 2] = blue;
                }
            }

            int plane = size * size;
            for (int oy = 0; oy < size; oy++)
            {
                float* w = vWeights + oy * vertical.Stride;
                float* firstRow = rows + (vFirst[oy] - box.Y) * rowLength;
                int n = vCount[oy];
                byte* red = destination + oy * size;
                for (int ox = 0; ox < size; ox++)
                {
                    float* column = firstRow + ox * 3;
                    float r = 0, g = 0, b = 0;
                    for (int k = 0; k < n; k++, column += rowLength)
                    {
                        r += w[k] * column[0];
                        g += w[k] * column[1];
                        b += w[k] * column[2];
                    }
                    int o = mirror ? size - 1 - ox : ox;
                    red[o] = ToByte(r);
                    red[plane + o] = ToByte(g);
                    red[2 * plane + o] = ToByte(b);
                }
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
        public Weights(int start, int length, int outputSize)
        {
            double scale = (double)length / outputSize;
            double filterScale = Math.Max(scale, 1.0);
            double support = 1.0 * filterScale; // the triangle filter's support is 1
            Stride = (int)Math.Ceiling(support) * 2 + 1;
            First = new int[outputSize];
            Count = new int[outputSize];
            Values = new float[outputSize * Stride];

            Span<double> raw = stackalloc double[Stride];
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
                    Values[o * Stride + i - min] = (float)(total == 0 ? 0 : raw[i - min] / total);
                First[o] = start + min;
                Count[o] = max - min;
            }
        }

        /// <summary>Source index of each output's first tap (absolute, not relative to the crop).</summary>
        public int[] First { get; }
        /// <summary>Taps of each output: always inside the crop.</summary>
        public int[] Count { get; }
        /// <summary>Each output's normalised weights, <see cref="Stride"/> apart.</summary>
        public float[] Values { get; }
        public int Stride { get; }

        private static double Triangle(double x)
        {
            x = Math.Abs(x);
            return x < 1.0 ? 1.0 - x : 0.0;
        }
    }
}
