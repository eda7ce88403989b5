using Pipeline.Testing;

namespace Pipeline.Data.Tests;

/// <summary>Any folder-per-class dataset: classes from folders or a classes file, labels in sorted folder order, a fraction split.</summary>
public sealed class ImageFolderDatasetTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_folder_of_class_folders_is_a_dataset_labelled_in_sorted_folder_order_as_torchvision_labels_it()
    {
        string root = FolderDatasets.Create(_temp.Combine("fruit"), ["zebra", "apple", "mango"], trainPerClass: 3, valPerClass: 2);

        var dataset = ImageFolderDataset.Open(root);

        Assert.Equal(["apple", "mango", "zebra"], dataset.Classes.Ids);
        Assert.Equal(["apple", "mango", "zebra"], dataset.Classes.Select(c => c.Name)); // no classes file: the folder names
        Assert.Equal("fruit", dataset.Name);
        Assert.Equal((9, 6), (dataset.Train.Count, dataset.Val.Count));
        Assert.All(dataset.Train.Concat(dataset.Val), i => Assert.Equal(dataset.Classes[i.Label].Id, i.RelativePath.Split('/')[1]));
        Assert.Empty(dataset.Warnings);
        Assert.Null(dataset.Split);
    }

    [Fact]
    public void A_classes_file_names_the_classes_and_is_the_class_list()
    {
        string root = FolderDatasets.Create(_temp.Combine("pets"), ["c1", "d2", "x9"], trainPerClass: 2, valPerClass: 1,
            names: new Dictionary<string, string> { ["d2"] = "dog, a good one", ["c1"] = "\"cat\"" });

        var dataset = ImageFolderDataset.Open(root);

        Assert.Equal([("c1", "cat"), ("d2", "dog, a good one")], dataset.Classes.Select(c => (c.Id, c.Name)));
        Assert.Equal("classes.csv", dataset.ClassesSource);
        // x9 is not listed: skipped in both splits, each with the count of its files.
        Assert.Equal(2, dataset.Warnings.Count);
        Assert.Contains(dataset.Warnings, w => w.StartsWith("train/x9/: 'x9' is not in classes.csv, 2 file(s) skipped", StringComparison.Ordinal));
        Assert.Equal(4, dataset.Train.Count);
    }

    [Fact]
    public void Imagenette_is_one_such_dataset_whose_classes_file_keeps_its_labels_and_its_fingerprint()
    {
        var dataset = SharedData.Dataset;

        Assert.Equal("imagenette", dataset.Name);
        Assert.Equal("Imagenette's classes file", dataset.ClassesSource);
        Assert.Same(ImagenetteClasses.All, dataset.Classes);
        Assert.Equal(("n01440764", 0, "tench"), (dataset.Classes[0].Id, dataset.Classes[0].Index, dataset.Classes[0].Name));
        // The fingerprint every run record of the shared copy holds, so every record and cache keeps its meaning.
        Assert.Equal("0b6bf62baa7e3fb3", dataset.Fingerprint);
    }

    [Fact]
    public void A_five_class_subset_of_Imagenette_made_of_links_is_a_five_class_dataset_with_Imagenettes_names()
    {
        string[] wnids = ["n03888257", "n01440764", "n03000684", "n02102040", "n03445777"];
        string root = FolderDatasets.ImagenetteSubset(_temp.Combine("imagenette-5"), SharedData.Root, wnids, [.. ImagenetteClasses.ClassesFileLines(wnids)]);

        var subset = ImageFolderDataset.Open(root);

        Assert.Equal(wnids.Order(StringComparer.Ordinal), subset.Classes.Ids);
        Assert.Equal(["tench", "English springer", "chain saw", "golf ball", "parachute"], subset.Classes.Select(c => c.Name));
        Assert.Equal("imagenette-5", subset.Name);
        Assert.Empty(subset.Warnings);
        foreach (var c in subset.Classes)
        {
            int full = ImagenetteClasses.All.IndexOf(c.Id);
            Assert.Equal(SharedData.Dataset.Train.Count(i => i.Label == full), subset.Train.Count(i => i.Label == c.Index));
            Assert.Equal(SharedData.Dataset.Val.Count(i => i.Label == full), subset.Val.Count(i => i.Label == c.Index));
        }
    }

    [Fact]
    public void A_folder_without_splits_is_split_by_a_stated_seeded_fraction_of_each_class()
    {
        string root = FolderDatasets.Create(_temp.Combine("flat"), ["a", "b", "c"], trainPerClass: 7, valPerClass: 3, flat: true);

        var split = ImageFolderDataset.Open(root, split: new DatasetSplit(0.3, Seed: 1));
        var again = ImageFolderDataset.Open(root, split: new DatasetSplit(0.3, Seed: 1));
        var other = ImageFolderDataset.Open(root, split: new DatasetSplit(0.3, Seed: 2));

        Assert.All(Enumerable.Range(0, 3), c => Assert.Equal((7, 3), (split.Train.Count(i => i.Label == c), split.Val.Count(i => i.Label == c))));
        Assert.Empty(split.Train.Select(i => i.Path).Intersect(split.Val.Select(i => i.Path)));
        Assert.Equal(split.Val.Select(i => i.RelativePath), again.Val.Select(i => i.RelativePath));
        Assert.Equal(split.Fingerprint, again.Fingerprint);
        Assert.NotEqual(split.Val.Select(i => i.RelativePath), other.Val.Select(i => i.RelativePath));
        Assert.NotEqual(split.Fingerprint, other.Fingerprint); // another split is another dataset
        Assert.StartsWith("a/img", split.Train[0].RelativePath);
        Assert.Empty(split.Warnings);
    }

    [Fact]
    public void A_fraction_for_a_dataset_that_has_its_own_val_folder_is_refused()
    {
        string root = FolderDatasets.Create(_temp.Combine("split"), ["a", "b"], trainPerClass: 2, valPerClass: 1);

        var error = Assert.Throws<DatasetException>(() => ImageFolderDataset.Open(root, split: new DatasetSplit(0.2)));

        Assert.Contains("has its own train/ or val/ folder", error.Message);
        Assert.Contains("Drop the fraction (--val-fraction)", error.Message);
    }

    [Fact]
    public void One_class_is_an_error_naming_the_folder()
    {
        string root = FolderDatasets.Create(_temp.Combine("one"), ["only"], trainPerClass: 2, valPerClass: 1);

        var error = Assert.Throws<DatasetException>(() => ImageFolderDataset.Open(root));

        Assert.Contains($"{Path.Combine(root, "train")} holds 1 class folder(s) ('only')", error.Message);
        Assert.Contains("needs at least 2 classes", error.Message);
    }

    [Fact]
    public void A_class_without_training_images_is_an_error_naming_its_folder_and_what_was_skipped()
    {
        string root = FolderDatasets.Create(_temp.Combine("empty"), ["cat", "dog", "owl"], trainPerClass: 2, valPerClass: 1);
        foreach (string file in Directory.GetFiles(Path.Combine(root, "train", "dog")))
            File.Move(file, Path.ChangeExtension(file, ".png"));
        Directory.Delete(Path.Combine(root, "train", "owl"), recursive: true);
        Directory.CreateDirectory(Path.Combine(root, "train", "owl"));

        var error = Assert.Throws<DatasetException>(() => ImageFolderDataset.Open(root));

        Assert.Contains("train/dog/: class 1 (dog) has no training images (2 file(s) that are not JPEGs were skipped: convert them to JPEG)", error.Message);
        Assert.Contains("train/owl/: class 2 (owl) has no training images. Add JPEG images of it there, or remove the folder.", error.Message);
    }

    [Fact]
    public void A_class_in_val_but_not_in_train_is_an_error()
    {
        string root = FolderDatasets.Create(_temp.Combine("stray"), ["cat", "dog"], trainPerClass: 2, valPerClass: 1);
        FolderDatasets.WriteImages(Path.Combine(root, "val", "emu"), 2, 3, 1);

        var error = Assert.Throws<DatasetException>(() => ImageFolderDataset.Open(root));

        Assert.Contains("val/emu/: class 'emu' is in val but not in train", error.Message);
        Assert.Contains("Add its training images under train/emu/, or remove val/emu/.", error.Message);
    }

    [Fact]
    public void A_file_named_jpg_that_is_not_an_image_is_an_error()
    {
        string root = FolderDatasets.Create(_temp.Combine("notes"), ["cat", "dog"], trainPerClass: 2, valPerClass: 1);
        File.WriteAllText(Path.Combine(root, "train", "cat", "notes.jpg"), "not a picture\n");

        var error = Assert.Throws<DatasetException>(() => ImageFolderDataset.Open(root));

        Assert.Contains("train/cat/notes.jpg: named .JPEG but the content is text", error.Message);
    }

    [Fact]
    public void Two_folders_with_one_readable_name_are_an_error_naming_both()
    {
        string root = FolderDatasets.Create(_temp.Combine("dupes"), ["c1", "c2", "d"], trainPerClass: 1, valPerClass: 1,
            names: new Dictionary<string, string> { ["c1"] = "Cat", ["c2"] = "cat", ["d"] = "dog" });

        var error = Assert.Throws<DatasetException>(() => ImageFolderDataset.Open(root));

        Assert.Contains(Path.Combine(root, "classes.csv"), error.Message);
        Assert.Contains("the folders 'c1', 'c2' all have the class name 'Cat' (ignoring case)", error.Message);
    }

    [Fact]
    public void A_malformed_classes_file_is_an_error_naming_the_line()
    {
        string root = FolderDatasets.Create(_temp.Combine("bad-csv"), ["a", "b"], trainPerClass: 1, valPerClass: 1);
        File.WriteAllLines(Path.Combine(root, "classes.csv"), ["folder,name", "a,apple", "b"]);

        var error = Assert.Throws<DatasetException>(() => ImageFolderDataset.Open(root));

        Assert.Contains("classes.csv line 3: class 'b' has no name", error.Message);
    }

    [Fact]
    public void More_classes_than_the_limit_need_a_classes_file_that_lists_them_and_more_than_a_thousand_are_refused()
    {
        string root = _temp.Combine("many");
        var classes = Enumerable.Range(0, ImageFolderDataset.UnconfirmedClassLimit + 1).Select(i => $"k{i:D3}").ToArray();
        foreach (string c in classes)
        {
            Directory.CreateDirectory(Path.Combine(root, "train", c));
            Directory.CreateDirectory(Path.Combine(root, "val", c));
        }

        var unconfirmed = Assert.Throws<DatasetException>(() => ImageFolderDataset.Open(root));
        Assert.Contains($"holds 101 class folders, more than {ImageFolderDataset.UnconfirmedClassLimit} without a classes file", unconfirmed.Message);
        Assert.Contains("confirm it with a classes.csv", unconfirmed.Message);

        // Listed in a classes file: confirmed, and the folders are then checked (here: each is empty).
        File.WriteAllLines(Path.Combine(root, "classes.csv"), ["folder,name", .. classes.Select(c => $"{c},{c}")]);
        var confirmed = Assert.Throws<DatasetException>(() => ImageFolderDataset.Open(root));
        Assert.Contains("train/k000/: class 0 (k000) has no training images", confirmed.Message);

        File.WriteAllLines(Path.Combine(root, "classes.csv"), ["folder,name", .. Enumerable.Range(0, 1001).Select(i => $"m{i},m{i}")]);
        var tooMany = Assert.Throws<DatasetException>(() => ImageFolderDataset.Open(root));
        Assert.Contains("1001 class folders, more than the 1000 this project trains", tooMany.Message);
    }
}
