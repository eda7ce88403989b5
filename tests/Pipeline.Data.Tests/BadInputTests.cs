using SkiaSharp;

namespace Pipeline.Data.Tests;

/// <summary>Each kind of bad input gets an error, or a counted warning, that names the file and says what to do.</summary>
public class BadInputTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly string _root;

    public BadInputTests()
    {
        _root = _temp.Combine("imagenette");
        MiniDataset.Create(_root);
    }

    public void Dispose() => _temp.Dispose();

    private string AddFile(string relativePath, byte[] content, bool listInCsv = true)
    {
        string path = Path.Combine(_root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        if (listInCsv)
            File.AppendAllLines(Path.Combine(_root, "noisy_imagenette.csv"), [MiniDataset.CleanRow(relativePath)]);
        return path;
    }

    private DecodedImageCache BuildCache(ImageFolderDataset dataset) =>
        DecodedImageCache.BuildOrOpen(dataset.Train, 64, dataset.Fingerprint, _temp.Combine("cache"));

    [Fact]
    public void ZeroByteImageIsAnErrorNamingTheFile()
    {
        AddFile("train/n01440764/empty.JPEG", []);

        var error = Assert.Throws<DatasetException>(() => ImageFolderDataset.Open(_root));

        Assert.Contains("train/n01440764/empty.JPEG", error.Message);
        Assert.Contains("empty (0 bytes)", error.Message);
        Assert.Contains("Delete it or replace it", error.Message);
        Assert.Equal(["train/n01440764/empty.JPEG"], error.Files);
    }

    [Fact]
    public void PngNamedJpegIsAnErrorSayingWhatItReallyIs()
    {
        using var bitmap = new SKBitmap(8, 8);
        using var png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        AddFile("val/n03888257/really-a-png.JPEG", png.ToArray());

        var error = Assert.Throws<DatasetException>(() => ImageFolderDataset.Open(_root));

        Assert.Contains("val/n03888257/really-a-png.JPEG", error.Message);
        Assert.Contains("content is a PNG image, not a JPEG", error.Message);
        Assert.Contains("Delete it or replace it", error.Message);
    }

    [Fact]
    public void TextNamedJpegIsAnError()
    {
        AddFile("train/n02102040/page.JPEG", "<html>404 Not Found</html>"u8.ToArray());
        AddFile("train/n02102040/notes.JPEG", "just some notes\n"u8.ToArray());

        var error = Assert.Throws<DatasetException>(() => ImageFolderDataset.Open(_root));

        // Both bad files in one message, so one run finds them all.
        Assert.Contains("train/n02102040/page.JPEG: named .JPEG but the content is an HTML or XML file", error.Message);
        Assert.Contains("train/n02102040/notes.JPEG: named .JPEG but the content is text", error.Message);
        Assert.Equal(2, error.Files.Count);
    }

    [Fact]
    public void TruncatedJpegIsAnErrorAtOpenWithTheDecodersReason()
    {
        // The first 2 KB of a real image: a valid header, which the ML.NET decoder would fill in with grey.
        AddFile("val/n03000684/truncated.JPEG", MiniDataset.SomeJpeg()[..2048]);

        var error = Assert.Throws<DatasetException>(() => ImageFolderDataset.Open(_root));

        // The cache build's words (ImageDecoder), at Open: every command refuses it the same way, before any work.
        Assert.Contains("val/n03000684/truncated.JPEG: the JPEG is truncated (its data ends early)", error.Message);
        Assert.Contains("Delete the file or replace it", error.Message);
        Assert.Equal(["val/n03000684/truncated.JPEG"], error.Files);
    }

    [Fact]
    public void JpegWithBytesAfterItsEndMarkerIsAccepted()
    {
        // Legal (some cameras append data): the index decodes it to decide, and it decodes whole.
        AddFile("train/n03000684/trailer.JPEG", [.. MiniDataset.SomeJpeg(), .. "trailing metadata"u8]);

        var dataset = ImageFolderDataset.Open(_root);

        Assert.Contains(dataset.Train, i => i.RelativePath == "train/n03000684/trailer.JPEG");
        Assert.Empty(dataset.Warnings);
    }

    [Fact]
    public void CorruptJpegThatEndsLikeOneFailsTheDecodeCheckAndTheCacheBuildNamingTheFile()
    {
        byte[] garbage = new byte[5000];
        new Random(1).NextBytes(garbage);
        // The signature and the end marker are right: only decoding can tell.
        string path = AddFile("train/n03028079/corrupt.JPEG", [0xFF, 0xD8, 0xFF, 0xE0, .. garbage, 0xFF, 0xD9]);
        var dataset = ImageFolderDataset.Open(_root);

        var checkError = Assert.Throws<DatasetException>(() => ImageCheck.ThrowIfAnyUndecodable(dataset.Train));
        var buildError = Assert.Throws<DatasetException>(() => BuildCache(dataset));

        foreach (var error in new[] { checkError, buildError })
        {
            Assert.Contains(path, error.Message);
            Assert.Contains("replace it with the original image", error.Message);
        }
        Assert.Equal([path], checkError.Files);
        Assert.Empty(Directory.EnumerateFiles(_temp.Combine("cache"))); // no cache, not even a partial one
    }

    [Fact]
    public void UnknownClassFolderIsSkippedWithACountedWarning()
    {
        AddFile("train/n99999999/a.JPEG", MiniDataset.SomeJpeg(), listInCsv: false);
        AddFile("train/n99999999/b.JPEG", MiniDataset.SomeJpeg(), listInCsv: false);

        var dataset = ImageFolderDataset.Open(_root);

        string warning = Assert.Single(dataset.Warnings);
        Assert.Contains("train/n99999999/", warning);
        Assert.Contains("not an Imagenette class, 2 file(s) skipped", warning);
        Assert.Contains("Remove the folder", warning);
        Assert.Equal(20, dataset.Train.Count);
    }

    [Fact]
    public void StrayFilesAreSkippedWithWarnings()
    {
        AddFile("train/readme.txt", "hello"u8.ToArray(), listInCsv: false);
        AddFile("val/n01440764/Thumbs.db", [1, 2, 3], listInCsv: false);

        var dataset = ImageFolderDataset.Open(_root);

        Assert.Equal(2, dataset.Warnings.Count);
        Assert.Contains(dataset.Warnings, w => w.StartsWith("train/readme.txt: not inside a class folder", StringComparison.Ordinal));
        Assert.Contains(dataset.Warnings, w => w.StartsWith("val/n01440764/Thumbs.db: not a .JPEG file, skipped", StringComparison.Ordinal));
    }

    [Fact]
    public void CsvListingAMissingFileIsAWarningNamingIt()
    {
        var victim = ImageFolderDataset.Open(_root).Val[3];
        File.Delete(victim.Path);

        var dataset = ImageFolderDataset.Open(_root);

        string warning = Assert.Single(dataset.Warnings);
        Assert.StartsWith($"{victim.RelativePath}: listed in noisy_imagenette.csv", warning);
        Assert.Contains("Restore it from the archive", warning);
        Assert.Equal(19, dataset.Val.Count);
    }

    [Fact]
    public void FileMissingFromTheCsvIsAWarningForCleanLabelsAndAnErrorForNoisyOnes()
    {
        AddFile("train/n03417042/extra.JPEG", MiniDataset.SomeJpeg(), listInCsv: false);

        var clean = ImageFolderDataset.Open(_root);
        Assert.Contains(clean.Warnings, w => w.StartsWith("train/n03417042/extra.JPEG: not listed in noisy_imagenette.csv", StringComparison.Ordinal));
        Assert.Equal(6, clean.Train.Single(i => i.RelativePath.EndsWith("extra.JPEG", StringComparison.Ordinal)).Label);

        var error = Assert.Throws<DatasetException>(() => ImageFolderDataset.Open(_root, noisyPercent: 5));
        Assert.Contains("train/n03417042/extra.JPEG: on disk but not listed in noisy_imagenette.csv", error.Message);
        Assert.Contains("open the dataset with noisyPercent 0", error.Message);
    }

    [Fact]
    public void CsvThatDisagreesWithTheFoldersIsAnError()
    {
        string csv = Path.Combine(_root, "noisy_imagenette.csv");
        var lines = File.ReadAllLines(csv);
        string moved = lines[1].Split(',')[0];
        // Claim the first image belongs to another class.
        lines[1] = string.Join(',', lines[1].Split(',').Select((f, i) => i is >= 1 and <= 5 ? "n03888257" : f));
        File.WriteAllLines(csv, lines);

        var error = Assert.Throws<DatasetException>(() => ImageFolderDataset.Open(_root));

        Assert.Contains($"{moved}: noisy_imagenette.csv line 2 gives class n03888257", error.Message);
        Assert.Contains("replace the CSV with the official one", error.Message);
    }

    [Fact]
    public void MalformedCsvIsAnErrorNamingTheLine()
    {
        string csv = Path.Combine(_root, "noisy_imagenette.csv");
        File.AppendAllLines(csv, ["train/n01440764/x.JPEG,n01440764,False"]);
        int badLine = File.ReadAllLines(csv).Length;

        var error = Assert.Throws<DatasetException>(() => ImageFolderDataset.Open(_root));

        Assert.Contains($"noisy_imagenette.csv line {badLine}: 3 fields where the header has 7", error.Message);
    }

    [Fact]
    public void NoisyLabelsWithoutTheCsvAreAnError()
    {
        File.Delete(Path.Combine(_root, "noisy_imagenette.csv"));

        Assert.Empty(ImageFolderDataset.Open(_root).Warnings); // folder labels need no CSV
        var error = Assert.Throws<DatasetException>(() => ImageFolderDataset.Open(_root, noisyPercent: 50));
        Assert.Contains("noisy_imagenette.csv, which is missing", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageFolderDataset.Open(_root, noisyPercent: 10));
    }

    [Fact]
    public void EmptySplitIsAnError()
    {
        foreach (string dir in Directory.EnumerateDirectories(Path.Combine(_root, "val")))
            Directory.Delete(dir, recursive: true);

        var error = Assert.Throws<DatasetException>(() => ImageFolderDataset.Open(_root));

        Assert.Contains(Path.Combine(_root, "val"), error.Message);
        Assert.Contains("the val split is empty", error.Message);
    }

    [Fact]
    public void MissingSplitOrRootIsAnError()
    {
        Directory.Delete(Path.Combine(_root, "train"), recursive: true);
        var error = Assert.Throws<DatasetException>(() => ImageFolderDataset.Open(_root));
        Assert.Contains($"'{Path.Combine(_root, "train")}' does not exist", error.Message);

        var missing = Assert.Throws<DatasetException>(() => ImageFolderDataset.Open(_temp.Combine("nowhere")));
        Assert.Contains("the folder does not exist", missing.Message);
        Assert.Contains("PIPELINE_DATA", missing.Message);
    }

    [Fact]
    public void ClassMissingFromASplitIsAWarning()
    {
        Directory.Delete(Path.Combine(_root, "val", "n03445777"), recursive: true);

        var dataset = ImageFolderDataset.Open(_root);

        Assert.Contains(dataset.Warnings, w => w.StartsWith("val/n03445777/: no images of class 8 (golf ball) in val", StringComparison.Ordinal));
    }

    [Fact]
    public void PathsWithSpacesAndNonAsciiCharactersWork()
    {
        using var temp = new TempFolder("Données d'essai");
        string root = temp.Combine("été 2024");
        MiniDataset.Create(root, perClass: 1);
        string odd = Path.Combine(root, "train", "n01440764", "poisson rouge ÿ.JPEG");
        File.Copy(SharedData.Dataset.Val[0].Path, odd);
        File.AppendAllLines(Path.Combine(root, "noisy_imagenette.csv"), [MiniDataset.CleanRow("train/n01440764/poisson rouge ÿ.JPEG")]);

        var dataset = ImageFolderDataset.Open(root);
        using var cache = DecodedImageCache.BuildOrOpen(dataset.Train, 32, dataset.Fingerprint, temp.Combine("cache ü"));

        Assert.Empty(dataset.Warnings);
        int index = dataset.Train.ToList().FindIndex(i => i.Path == odd);
        Assert.Equal("train/n01440764/poisson rouge ÿ.JPEG", dataset.Train[index].RelativePath);
        Assert.Equal(32, cache.Get(index).Width);
    }
}
