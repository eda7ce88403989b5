using SkiaSharp;

namespace Pipeline.Data.Tests;

public class DecodedImageCacheTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly List<LabeledImage> _images = SharedData.FirstPerClass(SharedData.Dataset.Val, 4);
    private string CacheRoot => _temp.Combine("cache");

    public void Dispose() => _temp.Dispose();

    private DecodedImageCache Open(int shortSide, IProgress<CacheProgress>? progress = null, CancellationToken ct = default) =>
        DecodedImageCache.BuildOrOpen(_images, shortSide, SharedData.Dataset.Fingerprint, CacheRoot, progress, ct);

    [Fact]
    public void HoldsEveryImageResizedToTheShortSideWithItsLabel()
    {
        var reports = new List<CacheProgress>();
        using var cache = Open(72, new SyncProgress<CacheProgress>(reports.Add));

        Assert.Equal(_images.Count, cache.Count);
        Assert.Equal(72, cache.ShortSide);
        for (int i = 0; i < cache.Count; i++)
        {
            var image = cache.Get(i);
            Assert.Equal((72, 72), (image.Width, image.Height)); // the shared copy is all 224 x 224
            Assert.Equal(_images[i].Label, cache.Label(i));
        }
        Assert.Equal(_images.Count, reports[^1].Done);
        Assert.Equal(_images.Count, reports[^1].Total);
        Assert.True(reports[^1].ImagesPerSecond > 0);
    }

    [Fact]
    public void HoldsTheDecodedPixels()
    {
        using var cache = Open(224); // no resampling at the stored size
        using var reference = SKBitmap.Decode(_images[5].Path);

        var image = cache.Get(5);
        var color = reference.GetPixel(100, 37);
        int at = (37 * 224 + 100) * 3;
        Assert.Equal((color.Red, color.Green, color.Blue), (image.Rgb[at], image.Rgb[at + 1], image.Rgb[at + 2]));
    }

    [Fact]
    public void SecondOpenReusesTheFileWithoutDecoding()
    {
        string path;
        byte[] first;
        using (var cache = Open(48))
        {
            path = cache.FilePath;
            first = cache.Get(7).Rgb.ToArray();
        }
        var written = File.GetLastWriteTimeUtc(path);

        int reports = 0;
        using var again = Open(48, new SyncProgress<CacheProgress>(_ => reports++));

        Assert.Equal(path, again.FilePath);
        Assert.Equal(0, reports);
        Assert.Equal(written, File.GetLastWriteTimeUtc(path));
        Assert.Equal(first, again.Get(7).Rgb.ToArray());
        Assert.Equal([Path.GetFileName(path)], Directory.EnumerateFiles(CacheRoot).Select(Path.GetFileName));
    }

    [Fact]
    public void KeyedBySizeImageListAndDatasetFingerprint()
    {
        using var a = Open(48);
        using var b = Open(40);
        using var c = DecodedImageCache.BuildOrOpen(_images.Take(10).ToList(), 48, SharedData.Dataset.Fingerprint, CacheRoot);
        using var d = DecodedImageCache.BuildOrOpen(_images, 48, "0123456789abcdef", CacheRoot);

        Assert.Equal(4, new[] { a.FilePath, b.FilePath, c.FilePath, d.FilePath }.Distinct().Count());
        Assert.StartsWith(SharedData.Dataset.Fingerprint, Path.GetFileName(a.FilePath));
    }

    [Fact]
    public void AnImageEditedInPlaceToTheSameSizeIsDecodedAgainNotServedStale()
    {
        // Two real images made the same length (zeros after the shorter one's end marker are legal), so the name, the
        // size and hence the dataset fingerprint stay the same when one replaces the other.
        byte[] first = File.ReadAllBytes(_images[0].Path), second = File.ReadAllBytes(_images[1].Path);
        int length = Math.Max(first.Length, second.Length);
        string path = _temp.Combine("edited.JPEG");
        var images = new List<LabeledImage> { new(path, "val/n01440764/edited.JPEG", 0) };
        DecodedImageCache OpenEdited() => DecodedImageCache.BuildOrOpen(images, 32, "same-fingerprint", CacheRoot);

        File.WriteAllBytes(path, [.. first, .. new byte[length - first.Length]]);
        byte[] before;
        using (var cache = OpenEdited())
            before = cache.Get(0).Rgb.ToArray();
        File.WriteAllBytes(path, [.. second, .. new byte[length - second.Length]]);
        using var edited = OpenEdited();

        byte[] expected = new byte[32 * 32 * 3];
        ImageDecoder.DecodeResized(_images[1].Path, 32, expected);
        Assert.Equal(expected, edited.Get(0).Rgb.ToArray());
        Assert.NotEqual(before, expected);
    }

    [Fact]
    public void DamagedOrForeignFileIsRebuiltNotRead()
    {
        string path;
        byte[] expected;
        using (var cache = Open(40))
        {
            path = cache.FilePath;
            expected = cache.Get(3).Rgb.ToArray();
        }

        foreach (var damage in new Action[]
        {
            () => File.WriteAllBytes(path, File.ReadAllBytes(path)[..(int)(new FileInfo(path).Length / 2)]), // cut short
            () => File.WriteAllBytes(path, []),                                                              // empty
            () => { var bytes = File.ReadAllBytes(path); bytes[0] = (byte)'X'; File.WriteAllBytes(path, bytes); }, // not our header
        })
        {
            damage();
            int reports = 0;
            using var rebuilt = Open(40, new SyncProgress<CacheProgress>(_ => reports++));
            Assert.True(reports > 0, "a damaged cache file must be rebuilt");
            Assert.Equal(expected, rebuilt.Get(3).Rgb.ToArray());
        }
    }

    [Fact]
    public void CancelledBuildLeavesNoCacheFile()
    {
        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress<CacheProgress>(p => { if (p.Done >= 4) cts.Cancel(); });

        Assert.ThrowsAny<OperationCanceledException>(() => Open(56, progress, cts.Token));

        Assert.Empty(Directory.EnumerateFiles(CacheRoot));
        using var cache = Open(56); // and the next run builds it whole
        Assert.Equal(_images.Count, cache.Count);
    }

    [Fact]
    public void LeftoverPartialFileIsNeverOpened()
    {
        string finalPath;
        using (var cache = Open(36))
            finalPath = cache.FilePath;
        File.Delete(finalPath);
        // What a killed build leaves behind: a temporary file beside the final name.
        File.WriteAllBytes($"{finalPath}.0123.partial", new byte[1000]);

        int reports = 0;
        using var rebuilt = Open(36, new SyncProgress<CacheProgress>(_ => reports++));

        Assert.True(reports > 0);
        Assert.Equal(finalPath, rebuilt.FilePath);
    }

    [Fact]
    public void GetAfterDisposeThrows()
    {
        var cache = Open(32);
        cache.Dispose();
        Assert.Throws<ObjectDisposedException>(() => cache.Get(0).Width);
    }
}

/// <summary>An <see cref="IProgress{T}"/> that calls back at once on the reporting thread (Progress&lt;T&gt; posts later).</summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    private readonly Lock _gate = new();

    public void Report(T value)
    {
        lock (_gate)
            report(value);
    }
}
