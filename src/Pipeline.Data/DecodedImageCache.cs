using System.Diagnostics;
using System.IO.MemoryMappedFiles;
using System.Security.Cryptography;
using System.Text;

namespace Pipeline.Data;

/// <summary>Progress of a cache build: images decoded so far, of how many, and the current rate.</summary>
public sealed record CacheProgress(int Done, int Total, double ImagesPerSecond);

/// <summary>
/// Every image of a list decoded once, resized to a short side (<see cref="ImageDecoder"/>), and kept as
/// uint8 RGB in one memory-mapped file, so epochs after the first never touch a JPEG.
/// </summary>
/// <remarks>
/// One file per (dataset fingerprint, short side, image list and contents) under <c>$PIPELINE_CACHE</c>, or
/// <c>~/.cache/pipeline/decoded/</c> when that is not set. A build writes a temporary file and renames it
/// into place when complete, so a file at the final name is always whole; an interrupted build leaves
/// only a temporary file, which is never opened. An image that cannot be decoded fails the build with
/// one error listing every such file (none is skipped: the caller's indices stay the dataset's).
/// </remarks>
public sealed unsafe class DecodedImageCache : IDisposable
{
    public const string CacheRootVariable = "PIPELINE_CACHE";

    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly CacheLayout.Entry[] _entries;
    private bool _disposed;

    private DecodedImageCache(string path, MemoryMappedFile file, MemoryMappedViewAccessor view, byte* basePointer, int shortSide, CacheLayout.Entry[] entries)
    {
        FilePath = path;
        _file = file;
        _view = view;
        _base = basePointer;
        ShortSide = shortSide;
        _entries = entries;
    }

    /// <summary>The cache file in use.</summary>
    public string FilePath { get; }
    public int Count => _entries.Length;
    public int ShortSide { get; }

    /// <summary>The default folder for cache files: <c>$PIPELINE_CACHE</c>, else <c>~/.cache/pipeline/decoded</c>.</summary>
    public static string DefaultRoot =>
        Environment.GetEnvironmentVariable(CacheRootVariable) is { Length: > 0 } fromEnvironment
            ? fromEnvironment
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "pipeline", "decoded");

    /// <summary>
    /// Opens the cache of <paramref name="images"/> at <paramref name="shortSide"/>, building it first
    /// (decoding in parallel on all cores, reporting <paramref name="progress"/>) when there is none yet.
    /// </summary>
    /// <exception cref="DatasetException">Some images cannot be decoded; the message lists them all.</exception>
    public static DecodedImageCache BuildOrOpen(
        IReadOnlyList<LabeledImage> images,
        int shortSide,
        string datasetFingerprint,
        string? cacheRoot = null,
        IProgress<CacheProgress>? progress = null,
        CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shortSide, 1);
        cacheRoot ??= DefaultRoot;
        byte[] key = Key(images, shortSide, datasetFingerprint);
        string path = Path.Combine(cacheRoot, $"{datasetFingerprint}-s{shortSide}-{Convert.ToHexStringLower(key)[..16]}.pixels");

        return TryOpen(path, images.Count, shortSide, key) ?? BuildThenOpen();

        DecodedImageCache BuildThenOpen()
        {
            Directory.CreateDirectory(cacheRoot);
            Build(path, images, shortSide, key, progress, ct);
            return TryOpen(path, images.Count, shortSide, key)
                ?? throw new IOException($"The cache file {path} was just written but does not read back. Check the disk, delete the file and retry.");
        }
    }

    /// <summary>Image <paramref name="index"/> (the position in the list the cache was built from), resized.</summary>
    public ImageView Get(int index)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var entry = _entries[index];
        return new ImageView(entry.Width, entry.Height, new ReadOnlySpan<byte>(_base + entry.Offset, entry.Width * entry.Height * 3));
    }

    public int Label(int index) => _entries[index].Label;

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }

    /// <summary>
    /// Identifies the pixels: which files (and labels), of which dataset version, at which size, and what each file
    /// holds. The dataset fingerprint sees names and sizes only, so an image edited in place to the same size would
    /// otherwise reuse its stale pixels; the SHA-256 of every file's bytes closes that (what it costs for the whole
    /// dataset: docs/performance.md, Loader).
    /// </summary>
    private static byte[] Key(IReadOnlyList<LabeledImage> images, int shortSide, string datasetFingerprint)
    {
        var contents = ContentHashes(images);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{CacheLayout.Version}\n{datasetFingerprint}\n{shortSide}\n"));
        for (int i = 0; i < images.Count; i++)
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"{images[i].RelativePath}\t{images[i].Label}\t"));
            hash.AppendData(contents[i]);
        }
        return hash.GetHashAndReset();
    }

    /// <summary>The SHA-256 of each file's bytes, in parallel.</summary>
    /// <exception cref="DatasetException">Some files cannot be read (deleted or unreadable since the index saw them).</exception>
    private static byte[][] ContentHashes(IReadOnlyList<LabeledImage> images)
    {
        var hashes = new byte[images.Count][];
        var problems = new List<(string File, string Problem)>();
        Parallel.For(0, images.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            try
            {
                using var file = new FileStream(images[i].Path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
                hashes[i] = SHA256.HashData(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                lock (problems)
                    problems.Add((images[i].Path, $"cannot be read ({e.Message}). Restore it, or open the dataset again if it was removed on purpose."));
            }
        });
        if (problems.Count > 0)
            throw DatasetException.ForMany($"{problems.Count} image(s) cannot be read, so the decoded cache cannot be opened:", problems);
        return hashes;
    }

    private static DecodedImageCache? TryOpen(string path, int count, int shortSide, byte[] key)
    {
        long length = File.Exists(path) ? new FileInfo(path).Length : -1;
        // Too short to hold even the index: not a cache (an empty file cannot be mapped at all).
        if (length < CacheLayout.PixelStart(count))
            return null;

        var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        var view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* basePointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref basePointer);
        basePointer += view.PointerOffset;
        var entries = CacheLayout.Read(length, basePointer, count, shortSide, key);
        if (entries is not null)
            return new DecodedImageCache(path, file, view, basePointer, shortSide, entries);

        // Not ours, another version, or damaged: rebuild it.
        view.SafeMemoryMappedViewHandle.ReleasePointer();
        view.Dispose();
        file.Dispose();
        return null;
    }

    private static void Build(string path, IReadOnlyList<LabeledImage> images, int shortSide, byte[] key, IProgress<CacheProgress>? progress, CancellationToken ct)
    {
        var problems = new List<(string File, string Problem)>();
        var entries = new CacheLayout.Entry[images.Count];
        long offset = CacheLayout.PixelStart(images.Count);
        for (int i = 0; i < images.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                var (width, height) = ImageDecoder.ReadSize(images[i].Path);
                var (resizedWidth, resizedHeight) = ImageDecoder.ResizedSize(width, height, shortSide);
                entries[i] = new CacheLayout.Entry(offset, resizedWidth, resizedHeight, images[i].Label);
                offset += (long)resizedWidth * resizedHeight * 3;
            }
            catch (Exception e) when (e is ImageDecoder.UndecodableImageException or IOException)
            {
                problems.Add((images[i].Path, e.Message));
            }
        }
        ThrowIfAny(problems);

        string temporary = $"{path}.{Guid.NewGuid():N}.partial";
        try
        {
            using (var file = MemoryMappedFile.CreateFromFile(temporary, FileMode.CreateNew, null, Math.Max(offset, 1)))
            using (var view = file.CreateViewAccessor())
            {
                byte* basePointer = null;
                view.SafeMemoryMappedViewHandle.AcquirePointer(ref basePointer);
                try
                {
                    basePointer += view.PointerOffset;
                    DecodeAll(basePointer, images, entries, shortSide, problems, progress, ct);
                    ThrowIfAny(problems);
                    // The header goes in last: until then the file does not even look like a cache.
                    CacheLayout.Write(basePointer, shortSide, key, entries);
                    view.Flush();
                }
                finally
                {
                    view.SafeMemoryMappedViewHandle.ReleasePointer();
                }
            }
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private static void DecodeAll(byte* basePointer, IReadOnlyList<LabeledImage> images, CacheLayout.Entry[] entries, int shortSide,
        List<(string File, string Problem)> problems, IProgress<CacheProgress>? progress, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        int done = 0;
        int reportEvery = Math.Max(1, images.Count / 200);
        var options = new ParallelOptions { CancellationToken = ct, MaxDegreeOfParallelism = Environment.ProcessorCount };
        Parallel.For(0, images.Count, options, i =>
        {
            var entry = entries[i];
            try
            {
                ImageDecoder.DecodeResized(images[i].Path, shortSide, new Span<byte>(basePointer + entry.Offset, entry.Width * entry.Height * 3));
            }
            catch (Exception e) when (e is ImageDecoder.UndecodableImageException or IOException)
            {
                lock (problems)
                    problems.Add((images[i].Path, e.Message));
            }
            int now = Interlocked.Increment(ref done);
            if (progress is not null && (now % reportEvery == 0 || now == images.Count))
                progress.Report(new CacheProgress(now, images.Count, now / Math.Max(clock.Elapsed.TotalSeconds, 1e-9)));
        });
    }

    private static void ThrowIfAny(List<(string File, string Problem)> problems)
    {
        if (problems.Count > 0)
            throw DatasetException.ForMany($"{problems.Count} image(s) cannot be decoded, so the decoded cache was not built:", problems);
    }
}
