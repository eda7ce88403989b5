namespace Pipeline.Data;

/// <summary>
/// One of fast.ai's Imagenette archives, with the check values fastai publishes for it
/// (<c>fastai/data/download_checks.py</c>): the byte size and the MD5 of the first MiB, which is what
/// fastai's own downloader verifies (<c>fastdownload.path_stats</c>).
/// </summary>
/// <param name="Name">The archive's name, which is also its top folder ("imagenette2-160").</param>
public sealed record ImagenetteArchive(string Name, long Size, string FirstMiBMd5)
{
    /// <summary>Images with a short side of 160 px (99 MB).</summary>
    public static ImagenetteArchive Px160 { get; } = new("imagenette2-160", 99_003_388, "c475f8f7617a200ba35b9facc48443c3");

    /// <summary>Images with a short side of 320 px (342 MB).</summary>
    public static ImagenetteArchive Px320 { get; } = new("imagenette2-320", 341_663_724, "1f1f74f133caff120e575856659b87a2");

    /// <summary>Full-size images (1.6 GB).</summary>
    public static ImagenetteArchive FullSize { get; } = new("imagenette2", 1_557_161_267, "2c774ecb40005b35d7937d50f5d42336");

    public static IReadOnlyList<ImagenetteArchive> All { get; } = [Px160, Px320, FullSize];

    public string FileName => $"{Name}.tgz";

    /// <summary>The archive called <paramref name="name"/> ("imagenette2-160", "imagenette2-320" or "imagenette2").</summary>
    public static ImagenetteArchive FromName(string name) =>
        All.FirstOrDefault(a => a.Name == name)
        ?? throw new ArgumentException($"Unknown archive '{name}'; the Imagenette archives are {string.Join(", ", All.Select(a => a.Name))}.", nameof(name));
}
