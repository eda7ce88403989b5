using System.Buffers.Binary;

namespace Pipeline.Data;

/// <summary>
/// The decoded cache's file format, little-endian:
/// <code>
/// header (64 bytes)  magic "PLDECODE", version, image count, short side, 4 reserved, SHA-256 key (32)
/// index  (24 bytes per image)  pixel offset (int64), width, height, label (int32 each), 4 reserved
/// pixels             each image's rows of RGB bytes, at its offset
/// </code>
/// </summary>
internal static unsafe class CacheLayout
{
    public const int Version = 1;
    private const int HeaderSize = 64;
    private const int EntrySize = 24;
    private static ReadOnlySpan<byte> Magic => "PLDECODE"u8;

    public readonly record struct Entry(long Offset, int Width, int Height, int Label);

    public static long PixelStart(int count) => HeaderSize + (long)count * EntrySize;

    public static void Write(byte* file, int shortSide, byte[] key, Entry[] entries)
    {
        var index = new Span<byte>(file + HeaderSize, entries.Length * EntrySize);
        for (int i = 0; i < entries.Length; i++)
        {
            var slot = index.Slice(i * EntrySize, EntrySize);
            BinaryPrimitives.WriteInt64LittleEndian(slot, entries[i].Offset);
            BinaryPrimitives.WriteInt32LittleEndian(slot[8..], entries[i].Width);
            BinaryPrimitives.WriteInt32LittleEndian(slot[12..], entries[i].Height);
            BinaryPrimitives.WriteInt32LittleEndian(slot[16..], entries[i].Label);
        }

        var header = new Span<byte>(file, HeaderSize);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], Version);
        BinaryPrimitives.WriteInt32LittleEndian(header[12..], entries.Length);
        BinaryPrimitives.WriteInt32LittleEndian(header[16..], shortSide);
        key.CopyTo(header[24..]);
        Magic.CopyTo(header);
    }

    /// <summary>The index, or null when the file (at least <see cref="PixelStart"/> bytes) is not a complete cache of exactly this key.</summary>
    public static Entry[]? Read(long fileLength, byte* file, int count, int shortSide, byte[] key)
    {
        var header = new ReadOnlySpan<byte>(file, HeaderSize);
        if (!header[..8].SequenceEqual(Magic)
            || BinaryPrimitives.ReadInt32LittleEndian(header[8..]) != Version
            || BinaryPrimitives.ReadInt32LittleEndian(header[12..]) != count
            || BinaryPrimitives.ReadInt32LittleEndian(header[16..]) != shortSide
            || !header.Slice(24, 32).SequenceEqual(key))
        {
            return null;
        }

        var entries = new Entry[count];
        var index = new ReadOnlySpan<byte>(file + HeaderSize, count * EntrySize);
        for (int i = 0; i < count; i++)
        {
            var slot = index.Slice(i * EntrySize, EntrySize);
            entries[i] = new Entry(
                BinaryPrimitives.ReadInt64LittleEndian(slot),
                BinaryPrimitives.ReadInt32LittleEndian(slot[8..]),
                BinaryPrimitives.ReadInt32LittleEndian(slot[12..]),
                BinaryPrimitives.ReadInt32LittleEndian(slot[16..]));
            if (entries[i].Offset + (long)entries[i].Width * entries[i].Height * 3 > fileLength)
                return null;
        }
        return entries;
    }
}
