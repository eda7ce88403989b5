using SkiaSharp;

namespace Pipeline.Data.Tests;

/// <summary>The project's full Imagenette copy (../shared/data/imagenette-224), used in place and read-only.</summary>
internal static class SharedData
{
    private static readonly Lazy<string> s_root = new(() =>
        ImageFolderDataset.FindDefaultRoot()
        ?? throw new InvalidOperationException(
            $"These tests read the project's Imagenette copy at ../{ImageFolderDataset.DefaultRelativeLocation} (beside the repository); " +
            $"it was not found above {Directory.GetCurrentDirectory()}. Set {ImageFolderDataset.RootVariable} to its folder."));

    private static readonly Lazy<ImageFolderDataset> s_dataset = new(() => ImageFolderDataset.Open(Root));

    public static string Root => s_root.Value;

    /// <summary>The whole copy, indexed once per test run.</summary>
    public static ImageFolderDataset Dataset => s_dataset.Value;

    public static List<LabeledImage> FirstPerClass(IReadOnlyList<LabeledImage> split, int perClass) => split.FirstPerClass(perClass);

    /// <summary>The first <paramref name="count"/> single-channel JPEGs of val (read from headers only).</summary>
    public static List<LabeledImage> GreyscaleVal(int count) =>
        Dataset.Val.Where(IsGreyscale).Take(count).ToList();

    public static bool IsGreyscale(LabeledImage image)
    {
        using var codec = SKCodec.Create(image.Path);
        return codec.Info.ColorType == SKColorType.Gray8;
    }
}

/// <summary>A fresh folder under the system temp folder, deleted with everything in it on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    private readonly string _top = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "pipeline-data-tests", Guid.NewGuid().ToString("N")[..12]);

    /// <param name="name">A sub-folder to use instead of the unique folder itself (to test names with spaces and accents).</param>
    public TempFolder(string? name = null)
    {
        Path = name is null ? _top : System.IO.Path.Combine(_top, name);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose() => Directory.Delete(_top, recursive: true);
}
