namespace Pipeline.Data;

/// <summary>
/// What a file really is, from its first bytes. The index checks this for every image so a PNG or a
/// text file saved as <c>.JPEG</c> is reported when the dataset is opened, not minutes into a cache build.
/// </summary>
internal static class FileSignature
{
    public const int BytesNeeded = 12;

    /// <summary>True for the JPEG start-of-image marker followed by any marker (FF D8 FF).</summary>
    public static bool IsJpeg(ReadOnlySpan<byte> head) => head.Length >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF;

    /// <summary>A short description of what the bytes look like, for error messages.</summary>
    public static string Describe(ReadOnlySpan<byte> head)
    {
        if (IsJpeg(head)) return "a JPEG";
        if (head.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G'])) return "a PNG image";
        if (head.StartsWith("GIF8"u8)) return "a GIF image";
        if (head.StartsWith("BM"u8)) return "a BMP image";
        if (head.Length >= 12 && head[..4].SequenceEqual("RIFF"u8) && head[8..12].SequenceEqual("WEBP"u8)) return "a WebP image";
        if (head.StartsWith("<"u8)) return "an HTML or XML file";
        foreach (byte b in head)
        {
            if (b is < 0x09 or (> 0x0D and < 0x20)) // control characters other than tab and line breaks
                return "binary data of an unknown kind";
        }
        return "text";
    }

    /// <summary>True when the bytes end with the JPEG end-of-image marker (FF D9), as every complete JPEG of the archives does.</summary>
    public static bool EndsLikeJpeg(ReadOnlySpan<byte> tail) => tail.Length >= 2 && tail[^2] == 0xFF && tail[^1] == 0xD9;

    /// <summary>The first <see cref="BytesNeeded"/> bytes and the last two, in one open: all the index reads of a file.</summary>
    public static (byte[] Head, byte[] Tail) ReadHeadAndTail(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        var head = new byte[BytesNeeded];
        int read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        var tail = new byte[Math.Min(2, stream.Length)];
        stream.Seek(-tail.Length, SeekOrigin.End);
        stream.ReadExactly(tail);
        return (head[..read], tail);
    }
}
