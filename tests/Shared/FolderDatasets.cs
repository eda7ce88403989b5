using SkiaSharp;

namespace Pipeline.Testing;

/// <summary>
/// Small datasets in the ImageFolder layout for tests of "any folder-per-class dataset": generated JPEGs (each class its
/// own colour and stripes, so a model tells them apart in a few steps), or a subset of the shared Imagenette copy made of
/// links. Compiled into the test projects that need it (they reference SkiaSharp through Pipeline.Data).
/// </summary>
internal static class FolderDatasets
{
    /// <summary>
    /// <c>train/&lt;class&gt;/*.jpg</c> and <c>val/&lt;class&gt;/*.jpg</c> under <paramref name="root"/> (or, with
    /// <paramref name="flat"/>, <c>&lt;class&gt;/*.jpg</c> for a fraction split), <paramref name="size"/> px squares; with
    /// <paramref name="names"/>, a classes.csv mapping each folder to its readable name.
    /// </summary>
    public static string Create(string root, IReadOnlyList<string> classes, int trainPerClass, int valPerClass = 0, int size = 40,
        bool flat = false, IReadOnlyDictionary<string, string>? names = null)
    {
        for (int k = 0; k < classes.Count; k++)
        {
            if (flat)
            {
                WriteImages(Path.Combine(root, classes[k]), k, classes.Count, trainPerClass + valPerClass, size, "img");
                continue;
            }
            WriteImages(Path.Combine(root, "train", classes[k]), k, classes.Count, trainPerClass, size, "train");
            WriteImages(Path.Combine(root, "val", classes[k]), k, classes.Count, valPerClass, size, "val");
        }
        if (names is not null)
            File.WriteAllLines(Path.Combine(root, "classes.csv"), ["folder,name", .. names.Select(p => $"{p.Key},{p.Value}")]);
        return root;
    }

    /// <summary>A class folder of <paramref name="count"/> images of class <paramref name="k"/> of <paramref name="classes"/>.</summary>
    public static void WriteImages(string folder, int k, int classes, int count, int size = 40, string prefix = "img")
    {
        Directory.CreateDirectory(folder);
        for (int i = 0; i < count; i++)
            File.WriteAllBytes(Path.Combine(folder, $"{prefix}{i:D3}.jpg"), Image(k, classes, i, size));
    }

    /// <summary>
    /// Image <paramref name="i"/> of class <paramref name="k"/>: the class's hue, stripes whose direction and period are the
    /// class's, and a per-image shift and brightness, so images of a class differ and classes differ more.
    /// </summary>
    public static byte[] Image(int k, int classes, int i, int size = 40)
    {
        using var bitmap = new SKBitmap(size, size, isOpaque: true);
        var rng = new Random(k * 7919 + i);
        float hue = 360f * k / Math.Max(1, classes);
        int period = 4 + k % 5, shift = rng.Next(period);
        float light = 35 + rng.Next(20);
        for (int y = 0; y < size; y++)
        {
            for (int x = 0; x < size; x++)
            {
                bool stripe = ((k % 2 == 0 ? x : y) + shift) / period % 2 == 0;
                bitmap.SetPixel(x, y, SKColor.FromHsl(hue, 80, stripe ? light + 25 : light));
            }
        }
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
        return data.ToArray();
    }

    /// <summary>
    /// Imagenette's <paramref name="wnids"/> as a dataset of their own: <c>train/&lt;wnid&gt;</c> and <c>val/&lt;wnid&gt;</c> linked to
    /// the shared copy's folders (nothing copied, nothing written there), and a classes.csv with Imagenette's readable names.
    /// </summary>
    public static string ImagenetteSubset(string root, string imagenetteRoot, IReadOnlyList<string> wnids, IReadOnlyList<string> classesFileLines)
    {
        foreach (string split in new[] { "train", "val" })
        {
            Directory.CreateDirectory(Path.Combine(root, split));
            foreach (string wnid in wnids)
                Directory.CreateSymbolicLink(Path.Combine(root, split, wnid), Path.Combine(imagenetteRoot, split, wnid));
        }
        File.WriteAllLines(Path.Combine(root, "classes.csv"), classesFileLines);
        return root;
    }
}
