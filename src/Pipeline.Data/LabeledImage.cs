namespace Pipeline.Data;

/// <summary>One image of a split.</summary>
/// <param name="Path">Absolute path of the file.</param>
/// <param name="RelativePath">Path under the dataset root with '/' separators ("val/n01440764/x.JPEG"; "cats/x.jpg" in a dataset split by a fraction).</param>
/// <param name="Label">Index into the dataset's <see cref="ImageFolderDataset.Classes"/>.</param>
public sealed record LabeledImage(string Path, string RelativePath, int Label);

public static class LabeledImages
{
    /// <summary>The first <paramref name="perClass"/> images of each class, in the split's order: the slices quick runs and tests use.</summary>
    public static List<LabeledImage> FirstPerClass(this IReadOnlyList<LabeledImage> images, int perClass) =>
        images.GroupBy(i => i.Label).SelectMany(g => g.Take(perClass)).ToList();
}
