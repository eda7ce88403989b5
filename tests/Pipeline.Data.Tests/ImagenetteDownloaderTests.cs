using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;
using SkiaSharp;

namespace Pipeline.Data.Tests;

/// <summary>The download path, against a generated archive served on loopback: nothing here reaches the internet.</summary>
public class ImagenetteDownloaderTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly LoopbackFileServer _server = new();
    private readonly HttpClient _http = new();
    private readonly byte[] _tgz = TinyArchive("imagenette2-160");
    private readonly ImagenetteArchive _archive;

    public ImagenetteDownloaderTests()
    {
        _archive = new ImagenetteArchive("imagenette2-160", _tgz.Length, FirstMiBMd5(_tgz));
        _server.Add(_archive.FileName, _tgz);
    }

    public void Dispose()
    {
        _http.Dispose();
        _server.Dispose();
        _temp.Dispose();
    }

    private string Destination => _temp.Combine("datasets");
    private string PartFile => Path.Combine(Destination, "imagenette2-160.tgz.part");

    private Task<string> DownloadAsync(ImagenetteArchive? archive = null, IProgress<DownloadProgress>? progress = null) =>
        new ImagenetteDownloader(_http, _server.BaseUri).DownloadAndExtractAsync(archive ?? _archive, Destination, progress);

    /// <summary>A .tgz in the official layout: one generated noise JPEG per class and split, and the CSV.</summary>
    private static byte[] TinyArchive(string topFolder)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip))
        {
            var rows = new List<string> { MiniDataset.CsvHeader };
            var rng = new Random(0);
            foreach (string split in new[] { "train", "val" })
            {
                foreach (var c in ImagenetteClasses.All)
                {
                    string relative = $"{split}/{c.Id}/{c.Id}_{split}.JPEG";
                    byte[] jpeg = SyntheticJpeg.Encode(64, 48, (_, _) => new SKColor((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256)));
                    tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, $"{topFolder}/{relative}") { DataStream = new MemoryStream(jpeg) });
                    rows.Add(MiniDataset.CleanRow(relative));
                }
            }
            byte[] csv = System.Text.Encoding.UTF8.GetBytes(string.Join('\n', rows) + "\n");
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, $"{topFolder}/noisy_imagenette.csv") { DataStream = new MemoryStream(csv) });
        }
        return output.ToArray();
    }

    private static string FirstMiBMd5(byte[] bytes) => Convert.ToHexStringLower(MD5.HashData(bytes.AsSpan(0, Math.Min(bytes.Length, 1 << 20))));

    private void AssertNothingHalfDoneLeft()
    {
        Assert.False(File.Exists(PartFile), ".part should be gone");
        Assert.Empty(Directory.EnumerateDirectories(Destination, ".*"));
    }

    [Fact]
    public async Task DownloadsVerifiesAndExtractsACompleteDataset()
    {
        var reports = new List<DownloadProgress>();

        string root = await DownloadAsync(progress: new SyncProgress<DownloadProgress>(reports.Add));

        Assert.Equal(Path.Combine(Destination, "imagenette2-160"), root);
        Assert.True(ImagenetteDownloader.IsComplete(root));
        var dataset = ImageFolderDataset.Open(root);
        Assert.Equal((10, 10), (dataset.Train.Count, dataset.Val.Count));
        Assert.Empty(dataset.Warnings);
        Assert.Equal(_tgz.Length, reports[^1].BytesDone);
        Assert.Equal(_tgz.Length, reports[^1].TotalBytes);
        Assert.True(reports[^1].BytesPerSecond > 0);
        Assert.Equal(_tgz, await File.ReadAllBytesAsync(Path.Combine(Destination, "imagenette2-160.tgz")));
        AssertNothingHalfDoneLeft();
    }

    [Fact]
    public async Task ACompleteDatasetIsNotFetchedAgain()
    {
        await DownloadAsync();
        await DownloadAsync();

        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task DroppedConnectionResumesWithARangeRequest()
    {
        _server.DropAfter.Enqueue(_tgz.Length / 2);

        string root = await DownloadAsync();

        Assert.Equal([null, $"bytes={_tgz.Length / 2}-"], _server.Requests);
        Assert.Equal(10, ImageFolderDataset.Open(root).Val.Count);
        AssertNothingHalfDoneLeft();
    }

    [Fact]
    public async Task ARestartResumesFromThePartFileOfTheLastRun()
    {
        // Every attempt of the first run drops: it fails, keeping what it got in .part.
        for (int i = 0; i < 3; i++)
            _server.DropAfter.Enqueue(_tgz.Length / 8);
        await Assert.ThrowsAnyAsync<IOException>(() => DownloadAsync());
        long kept = new FileInfo(PartFile).Length;
        Assert.Equal(3 * (_tgz.Length / 8), kept);
        Assert.False(Directory.Exists(Path.Combine(Destination, "imagenette2-160")));

        await DownloadAsync();

        Assert.Equal($"bytes={kept}-", _server.Requests[^1]);
        AssertNothingHalfDoneLeft();
    }

    [Fact]
    public async Task AServerThatIgnoresRangesMakesTheDownloadStartOver()
    {
        Directory.CreateDirectory(Destination);
        await File.WriteAllBytesAsync(PartFile, new byte[1000]); // would corrupt the archive if appended to
        _server.IgnoreRanges = true;

        string root = await DownloadAsync();

        Assert.Equal(["bytes=1000-"], _server.Requests);
        Assert.True(ImagenetteDownloader.IsComplete(root));
    }

    [Fact]
    public async Task HashMismatchIsAnErrorAndDeletesTheDownload()
    {
        var wrongHash = _archive with { FirstMiBMd5 = new string('0', 32) };

        var error = await Assert.ThrowsAsync<DatasetException>(() => DownloadAsync(wrongHash));

        Assert.Contains("hash mismatch", error.Message);
        Assert.Contains("Run again to download it afresh", error.Message);
        Assert.Contains(_archive.FileName, error.Message);
        Assert.False(Directory.Exists(Path.Combine(Destination, "imagenette2-160")));
        AssertNothingHalfDoneLeft();
    }

    [Fact]
    public async Task SizeMismatchIsAnError()
    {
        var error = await Assert.ThrowsAsync<DatasetException>(() => DownloadAsync(_archive with { Size = _archive.Size + 10 }));

        Assert.Contains($"has {_tgz.Length:N0} bytes where imagenette2-160.tgz has {_tgz.Length + 10:N0}", error.Message);
        AssertNothingHalfDoneLeft();
    }

    [Fact]
    public async Task AFolderWithoutTheCompletionMarkerIsNeverTakenForADataset()
    {
        string half = Path.Combine(Destination, "imagenette2-160");
        Directory.CreateDirectory(Path.Combine(half, "train"));

        var error = await Assert.ThrowsAsync<DatasetException>(() => DownloadAsync());

        Assert.Contains(half, error.Message);
        Assert.Contains(".imagenette-complete", error.Message);
        Assert.Contains("Delete or move that folder", error.Message);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task AnArchiveWithoutTheExpectedTopFolderIsRejectedWithoutADataset()
    {
        byte[] other = TinyArchive("imagewoof2-160");
        _server.Add("imagenette2-160.tgz", other);
        var archive = new ImagenetteArchive("imagenette2-160", other.Length, FirstMiBMd5(other));

        var error = await Assert.ThrowsAsync<DatasetException>(() => DownloadAsync(archive));

        Assert.Contains("has no top folder 'imagenette2-160/'", error.Message);
        Assert.False(Directory.Exists(Path.Combine(Destination, "imagenette2-160")));
        AssertNothingHalfDoneLeft();
    }

    [Fact]
    public async Task MissingArchiveOnTheServerFailsAtOnceWithTheStatus()
    {
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => DownloadAsync(_archive with { Name = "imagenette2-999" }));

        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
        Assert.Contains("imagenette2-999.tgz answered 404", error.Message);
        Assert.Single(_server.Requests); // a 404 is not retried
    }

    [Fact]
    public void TheOfficialArchivesComeFromFastAisBucket()
    {
        Assert.Equal(new Uri("https://s3.amazonaws.com/fast-ai-imageclas/imagenette2-320.tgz"), new Uri(ImagenetteDownloader.DefaultBaseUri, ImagenetteArchive.Px320.FileName));
    }
}
