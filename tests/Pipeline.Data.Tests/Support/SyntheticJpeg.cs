using SkiaSharp;

namespace Pipeline.Data.Tests;

/// <summary>Small generated JPEGs, so fixtures never copy dataset images into the repository.</summary>
internal static class SyntheticJpeg
{
    public static byte[] Encode(int width, int height, Func<int, int, SKColor> pixel, int quality = 95)
    {
        using var bitmap = new SKBitmap(width, height, isOpaque: true);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                bitmap.SetPixel(x, y, pixel(x, y));
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, quality);
        return data.ToArray();
    }

    public static byte[] Solid(int width, int height, SKColor color) => Encode(width, height, (_, _) => color);

    /// <summary>
    /// An 8 × 8 four-channel (CMYK) baseline JPEG of one flat colour, written by hand because no encoder
    /// at hand writes CMYK. The Adobe marker says "no transform", i.e. the usual Adobe/Photoshop CMYK,
    /// whose stored values are inverted (255 = no ink). Each block has only a DC coefficient:
    /// 8 × (value − 128) with all quantisers 1, so a decoder reconstructs the values exactly.
    /// </summary>
    public static byte[] FlatCmyk(byte c, byte m, byte y, byte k)
    {
        var jpeg = new List<byte> { 0xFF, 0xD8 };
        jpeg.AddRange([0xFF, 0xEE, 0x00, 0x0E, (byte)'A', (byte)'d', (byte)'o', (byte)'b', (byte)'e', 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00]);
        jpeg.AddRange([0xFF, 0xDB, 0x00, 0x43, 0x00]);
        jpeg.AddRange(Enumerable.Repeat((byte)1, 64));
        jpeg.AddRange([0xFF, 0xC0, 0x00, 0x14, 0x08, 0x00, 0x08, 0x00, 0x08, 0x04, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0, 4, 0x11, 0]);
        // DC table: categories 0..11, each a 4-bit code equal to the category.
        jpeg.AddRange([0xFF, 0xC4, 0x00, 0x1F, 0x00, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        jpeg.AddRange(Enumerable.Range(0, 12).Select(i => (byte)i));
        // AC table: only end-of-block, code "0".
        jpeg.AddRange([0xFF, 0xC4, 0x00, 0x14, 0x10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00]);
        jpeg.AddRange([0xFF, 0xDA, 0x00, 0x0E, 0x04, 1, 0x00, 2, 0x00, 3, 0x00, 4, 0x00, 0x00, 0x3F, 0x00]);

        var bits = new BitWriter();
        foreach (byte value in new[] { c, m, y, k })
        {
            int dc = 8 * (value - 128);
            int category = dc == 0 ? 0 : 32 - int.LeadingZeroCount(Math.Abs(dc));
            bits.Write(category, 4);
            bits.Write(dc >= 0 ? dc : dc + (1 << category) - 1, category);
            bits.Write(0, 1); // end of block
        }
        jpeg.AddRange(bits.Finish());
        jpeg.AddRange([0xFF, 0xD9]);
        return jpeg.ToArray();
    }

    private sealed class BitWriter
    {
        private readonly List<byte> _bytes = [];
        private int _current;
        private int _count;

        public void Write(int value, int length)
        {
            for (int i = length - 1; i >= 0; i--)
            {
                _current = (_current << 1) | ((value >> i) & 1);
                if (++_count == 8)
                    Flush();
            }
        }

        public List<byte> Finish()
        {
            while (_count != 0)
                Write(1, 1); // pad with one-bits
            return _bytes;
        }

        private void Flush()
        {
            _bytes.Add((byte)_current);
            if (_current == 0xFF)
                _bytes.Add(0x00); // byte stuffing
            _current = 0;
            _count = 0;
        }
    }
}
