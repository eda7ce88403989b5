namespace Pipeline.Data.Tests;

/// <summary>
/// A small dataset in the official layout, made in a temp folder from a few real images of the shared
/// copy and their rows of the official CSV. Tests then damage it in the way they need.
/// </summary>
internal static class MiniDataset
{
    public const string CsvHeader = "path,noisy_labels_0,noisy_labels_1,noisy_labels_5,noisy_labels_25,noisy_labels_50,is_valid";

    public static void Create(string root, int perClass = 2, bool withCsv = true)
    {
        var copied = new HashSet<string>(StringComparer.Ordinal);
        foreach (var image in SharedData.FirstPerClass(SharedData.Dataset.Train, perClass).Concat(SharedData.FirstPerClass(SharedData.Dataset.Val, perClass)))
        {
            string target = Path.Combine(root, image.RelativePath);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(image.Path, target);
            copied.Add(image.RelativePath);
        }
        if (withCsv)
        {
            var rows = File.ReadLines(Path.Combine(SharedData.Root, "noisy_imagenette.csv")).Skip(1).Where(line => copied.Contains(line[..line.IndexOf(',')]));
            File.WriteAllLines(Path.Combine(root, "noisy_imagenette.csv"), [CsvHeader, .. rows]);
        }
    }

    /// <summary>A CSV row that matches a file at <paramref name="relativePath"/> with clean labels everywhere.</summary>
    public static string CleanRow(string relativePath)
    {
        string wnid = relativePath.Split('/')[1];
        bool isValid = relativePath.StartsWith("val/", StringComparison.Ordinal);
        return $"{relativePath},{wnid},{wnid},{wnid},{wnid},{wnid},{isValid}";
    }

    /// <summary>A real JPEG from the shared copy, for tests that need one more file.</summary>
    public static byte[] SomeJpeg() => File.ReadAllBytes(SharedData.Dataset.Val[0].Path);
}
