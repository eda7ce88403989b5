namespace Pipeline.Data.Tests;

public class ImagenetteDatasetTests
{
    [Fact]
    public void ClassTableIsSortedByWnidWithIndicesInOrder()
    {
        var all = ImagenetteClasses.All;
        Assert.Equal(10, all.Count);
        Assert.Equal(all.Select(c => c.Id).Order(StringComparer.Ordinal), all.Select(c => c.Id));
        Assert.Equal(Enumerable.Range(0, 10), all.Select(c => c.Index));
        Assert.Equal(("n01440764", "tench"), (all[0].Id, all[0].Name));
        Assert.Equal(("n03888257", "parachute"), (all[9].Id, all[9].Name));
        Assert.Equal(3, ImagenetteClasses.All.IndexOf("n03000684"));
        Assert.Equal(-1, ImagenetteClasses.All.IndexOf("n99999999"));
    }

    [Fact]
    public void OpensTheSharedCopyWithTheOfficialSplitAndFolderLabels()
    {
        var dataset = SharedData.Dataset;

        Assert.Equal(9469, dataset.Train.Count);
        Assert.Equal(3925, dataset.Val.Count);
        Assert.Empty(dataset.Warnings);
        // Per-class counts from the copy's README.
        Assert.Equal([963, 955, 993, 858, 941, 956, 961, 931, 951, 960], Enumerable.Range(0, 10).Select(c => dataset.Train.Count(i => i.Label == c)));
        Assert.Equal([387, 395, 357, 386, 409, 394, 389, 419, 399, 390], Enumerable.Range(0, 10).Select(c => dataset.Val.Count(i => i.Label == c)));
        Assert.All(dataset.Train.Concat(dataset.Val), image =>
        {
            Assert.True(Path.IsPathFullyQualified(image.Path), image.Path);
            Assert.Equal(ImagenetteClasses.All[image.Label].Id, image.RelativePath.Split('/')[1]);
        });
        Assert.StartsWith("val/n01440764/", dataset.Val[0].RelativePath);
        Assert.Equal(Path.Combine(dataset.Root, "val", "n01440764"), Path.GetDirectoryName(dataset.Val[0].Path));
    }

    [Fact]
    public void NoisyLabelSetsChangeTrainLabelsOnlyAndTheFingerprint()
    {
        var clean = SharedData.Dataset;
        var noisy = ImageFolderDataset.Open(SharedData.Root, noisyPercent: 25);

        double changed = clean.Train.Zip(noisy.Train).Count(p => p.First.Label != p.Second.Label) / (double)clean.Train.Count;
        Assert.InRange(changed, 0.15, 0.30); // about 25 % relabelled, some to their own class
        Assert.Equal(clean.Val.Select(i => i.Label), noisy.Val.Select(i => i.Label));
        Assert.Equal(clean.Train.Select(i => i.RelativePath), noisy.Train.Select(i => i.RelativePath));
        Assert.NotEqual(clean.Fingerprint, noisy.Fingerprint);
    }

    [Fact]
    public void FingerprintIsStableAndFollowsFileSizes()
    {
        using var temp = new TempFolder();
        MiniDataset.Create(temp.Path);
        string first = ImageFolderDataset.Open(temp.Path).Fingerprint;
        Assert.Equal(first, ImageFolderDataset.Open(temp.Path).Fingerprint);
        Assert.Matches("^[0-9a-f]{16}$", first);

        // Same files elsewhere: same fingerprint.
        using var moved = new TempFolder();
        MiniDataset.Create(moved.Path);
        Assert.Equal(first, ImageFolderDataset.Open(moved.Path).Fingerprint);

        // A file replaced by one of another size: a different dataset.
        var victim = ImageFolderDataset.Open(temp.Path).Train[0];
        File.WriteAllBytes(victim.Path, [.. File.ReadAllBytes(victim.Path), 0]);
        Assert.NotEqual(first, ImageFolderDataset.Open(temp.Path).Fingerprint);
    }

    [Fact]
    public void DefaultRootPrefersTheEnvironmentThenTheSharedCopyAboveTheStartFolders()
    {
        using var temp = new TempFolder();
        string copy = temp.Combine("work", "shared", "data", "imagenette-224");
        Directory.CreateDirectory(copy);
        string repository = temp.Combine("work", "repo", "tests", "bin");
        Directory.CreateDirectory(repository);

        Assert.Equal(copy, ImageFolderDataset.FindDefaultRoot(null, temp.Path, repository));
        Assert.Equal(copy, ImageFolderDataset.FindDefaultRoot(null, temp.Path, temp.Combine("elsewhere"), repository)); // first start finds none
        Assert.Equal(Path.GetFullPath("/data/elsewhere"), ImageFolderDataset.FindDefaultRoot("/data/elsewhere", temp.Path, repository));
        Assert.Null(ImageFolderDataset.FindDefaultRoot(null, temp.Path, temp.Combine("elsewhere")));
    }

    [Fact]
    public void ArchiveCheckValuesAreFastaisPublishedOnes()
    {
        Assert.Equal(["imagenette2-160", "imagenette2-320", "imagenette2"], ImagenetteArchive.All.Select(a => a.Name));
        Assert.Equal((99_003_388L, "c475f8f7617a200ba35b9facc48443c3"), (ImagenetteArchive.Px160.Size, ImagenetteArchive.Px160.FirstMiBMd5));
        Assert.Same(ImagenetteArchive.Px320, ImagenetteArchive.FromName("imagenette2-320"));
        Assert.Throws<ArgumentException>(() => ImagenetteArchive.FromName("imagewoof2"));
    }
}
