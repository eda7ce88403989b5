using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace Pipeline.Data;

/// <summary>Download progress: bytes in the file so far, the expected total, and the current rate.</summary>
public sealed record DownloadProgress(long BytesDone, long TotalBytes, double BytesPerSecond);

/// <summary>
/// Fetches an Imagenette archive, verifies it, and extracts it so that a dataset folder exists only
/// once it is complete.
/// </summary>
/// <remarks>
/// The download goes to <c>&lt;archive&gt;.part</c> and resumes with an HTTP range request after a dropped
/// connection, within a call (up to <c>maxAttempts</c>) or in a later run. The archive is extracted with
/// System.Formats.Tar into a hidden staging folder beside the destination, a completion marker is
/// written, and only then is the folder renamed into place: a folder without the marker is never taken
/// for a dataset.
/// </remarks>
public sealed class ImagenetteDownloader(HttpClient http, Uri? baseUri = null, int maxAttempts = 3)
{
    /// <summary>Where fast.ai publishes the archives.</summary>
    public static Uri DefaultBaseUri { get; } = new("https://s3.amazonaws.com/fast-ai-imageclas/");

    /// <summary>File written into a dataset folder once its extraction has finished.</summary>
    public const string CompletionMarker = ".imagenette-complete";

    private const int FirstMiB = 1 << 20;
    private readonly Uri _baseUri = baseUri ?? DefaultBaseUri;

    /// <summary>True when <paramref name="datasetFolder"/> was completely extracted by this class.</summary>
    public static bool IsComplete(string datasetFolder) => File.Exists(Path.Combine(datasetFolder, CompletionMarker));

    /// <summary>
    /// Makes <c>&lt;destination&gt;/&lt;archive name&gt;</c> a complete dataset folder, downloading and
    /// extracting only what is missing, and returns its path.
    /// </summary>
    public async Task<string> DownloadAndExtractAsync(ImagenetteArchive archive, string destination, IProgress<DownloadProgress>? progress = null, CancellationToken ct = default)
    {
        destination = Path.GetFullPath(destination);
        string datasetFolder = Path.Combine(destination, archive.Name);
        if (IsComplete(datasetFolder))
            return datasetFolder;
        if (Directory.Exists(datasetFolder))
        {
            throw new DatasetException(
                $"{datasetFolder} exists but has no {CompletionMarker} marker, so it is not a finished extraction of {archive.FileName}. " +
                "Delete or move that folder and run again; or, if it is a dataset you extracted yourself, open it directly with ImageFolderDataset.Open.",
                datasetFolder);
        }

        Directory.CreateDirectory(destination);
        string archivePath = Path.Combine(destination, archive.FileName);
        await DownloadAsync(archive, archivePath, progress, ct).ConfigureAwait(false);
        Extract(archive, archivePath, destination);
        return datasetFolder;
    }

    /// <summary>Downloads <paramref name="archive"/> to <paramref name="archivePath"/> (resuming a <c>.part</c> file) and verifies it.</summary>
    /// <exception cref="DatasetException">The downloaded file fails the size or hash check; it has been deleted.</exception>
    public async Task DownloadAsync(ImagenetteArchive archive, string archivePath, IProgress<DownloadProgress>? progress = null, CancellationToken ct = default)
    {
        if (File.Exists(archivePath))
        {
            if (CheckFile(archive, archivePath) is null)
                return;
            File.Delete(archivePath); // a stale or damaged copy of ours: fetch it again
        }

        var uri = new Uri(_baseUri, archive.FileName);
        string part = archivePath + ".part";
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await FetchAsync(uri, part, archive.Size, progress, ct).ConfigureAwait(false);
                break;
            }
            catch (Exception e) when (IsTransient(e) && attempt < maxAttempts && !ct.IsCancellationRequested)
            {
                // The connection dropped: the next attempt resumes from what .part already holds.
            }
        }

        if (CheckFile(archive, part) is { } problem)
        {
            File.Delete(part);
            throw new DatasetException(
                $"{uri} downloaded, but {problem}; the download was deleted. Run again to download it afresh; if this repeats, the published archive has changed and {nameof(ImagenetteArchive)}'s check values need updating.",
                archivePath);
        }
        File.Move(part, archivePath, overwrite: true);
    }

    /// <summary>
    /// Extracts a verified archive into <paramref name="destination"/>: into a hidden staging folder first,
    /// then the marker, then one rename, so an interrupted extraction never looks like a dataset.
    /// </summary>
    public static void Extract(ImagenetteArchive archive, string archivePath, string destination)
    {
        string staging = Path.Combine(destination, $".{archive.Name}.extracting-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            try
            {
                using var file = File.OpenRead(archivePath);
                using var gzip = new GZipStream(file, CompressionMode.Decompress);
                TarFile.ExtractToDirectory(gzip, staging, overwriteFiles: false);
            }
            catch (InvalidDataException e)
            {
                throw new DatasetException($"{archivePath} is not a valid .tgz archive ({e.Message}). Delete it and download it again.", archivePath);
            }

            string extracted = Path.Combine(staging, archive.Name);
            if (!Directory.Exists(extracted))
            {
                throw new DatasetException(
                    $"{archivePath} has no top folder '{archive.Name}/', so it is not the {archive.Name} archive. Delete it and download it again.",
                    archivePath);
            }
            File.WriteAllText(Path.Combine(extracted, CompletionMarker),
                $"archive={archive.FileName}\nsize={archive.Size}\nfirst_mib_md5={archive.FirstMiBMd5}\nextracted_utc={DateTime.UtcNow:O}\n");
            Directory.Move(extracted, Path.Combine(destination, archive.Name));
        }
        finally
        {
            Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>Appends the rest of <paramref name="uri"/> to <paramref name="part"/>, asking only for the bytes it lacks.</summary>
    private async Task FetchAsync(Uri uri, string part, long expectedSize, IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        long have = File.Exists(part) ? new FileInfo(part).Length : 0;
        if (have >= expectedSize)
            return; // complete, or too long: the size check decides

        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        if (have > 0)
            request.Headers.Range = new RangeHeaderValue(have, null);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            File.Delete(part); // the server's file is shorter than ours: this .part is of something else
            throw new IOException($"GET {uri} refused to resume at byte {have}; the partial download was deleted to start over.");
        }
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"GET {uri} answered {(int)response.StatusCode} {response.ReasonPhrase}.", null, response.StatusCode);

        // A server that ignores the range sends the whole file: start over rather than append it.
        bool resumed = response.StatusCode == HttpStatusCode.PartialContent && response.Content.Headers.ContentRange?.From == have;
        if (!resumed)
            have = 0;

        await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        await using var output = new FileStream(part, resumed ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 16);
        var buffer = new byte[1 << 16];
        var clock = Stopwatch.StartNew();
        long fetched = 0;
        var lastReport = TimeSpan.Zero;
        int read;
        while ((read = await body.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            await output.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
            fetched += read;
            if (progress is not null && clock.Elapsed - lastReport >= TimeSpan.FromMilliseconds(250))
            {
                lastReport = clock.Elapsed;
                progress.Report(new DownloadProgress(have + fetched, expectedSize, fetched / clock.Elapsed.TotalSeconds));
            }
        }
        progress?.Report(new DownloadProgress(have + fetched, expectedSize, fetched / Math.Max(clock.Elapsed.TotalSeconds, 1e-9)));
    }

    /// <summary>A dropped connection or a server error, worth another try; a 404 is not.</summary>
    private static bool IsTransient(Exception e) =>
        e is IOException || e is HttpRequestException { StatusCode: null or >= HttpStatusCode.InternalServerError };

    /// <summary>Null when the file has the archive's size and first-MiB MD5, else what is wrong.</summary>
    private static string? CheckFile(ImagenetteArchive archive, string path)
    {
        long size = new FileInfo(path).Length;
        if (size != archive.Size)
            return $"it has {size:N0} bytes where {archive.FileName} has {archive.Size:N0}";

        using var file = File.OpenRead(path);
        var head = new byte[(int)Math.Min(size, FirstMiB)];
        file.ReadExactly(head);
        string md5 = Convert.ToHexStringLower(MD5.HashData(head));
        return md5 == archive.FirstMiBMd5 ? null : $"the MD5 of its first MiB is {md5} where {archive.FileName} has {archive.FirstMiBMd5} (hash mismatch)";
    }
}
