using System.Security.Cryptography;
using System.Text;

namespace Pipeline.Data;

/// <summary>
/// An Imagenette folder in the official layout (<c>train/&lt;wnid&gt;/*</c>, <c>val/&lt;wnid&gt;/*</c>, and
/// optionally <c>noisy_imagenette.csv</c>), indexed without decoding a single JPEG.
/// </summary>
public sealed class ImagenetteDataset
{
    /// <summary>Environment variable that points at a dataset folder, taking precedence over the embedded default.</summary>
    public const string RootVariable = "PIPELINE_DATA";

    /// <summary>Where the project's own copy sits relative to some ancestor of the working folder.</summary>
    public static readonly string DefaultRelativeLocation = Path.Combine("shared", "data", "imagenette-224");

    public string Root { get; }
    public IReadOnlyList<LabeledImage> Train { get; }
    public IReadOnlyList<LabeledImage> Val { get; }
    public int NoisyPercent { get; }

    /// <summary>
    /// Identifies exactly this set of files and labels: a hash of every (relative path, byte length,
    /// label). Cheap (file sizes, no pixel reads) and the same wherever the folder is.
    /// </summary>
    public string Fingerprint { get; }

    /// <summary>Files left out or oddities found while indexing, each naming the file and what to do.</summary>
    public IReadOnlyList<string> Warnings { get; }

    private ImagenetteDataset(string root, int noisyPercent, List<LabeledImage> train, List<LabeledImage> val, string fingerprint, List<string> warnings)
    {
        Root = root;
        NoisyPercent = noisyPercent;
        Train = train;
        Val = val;
        Fingerprint = fingerprint;
        Warnings = warnings;
    }

    /// <summary>
    /// Indexes the dataset at <paramref name="root"/> with the labels of the given noisy-label set
    /// (0, 1, 5, 25 or 50 %; anything but 0 needs <c>noisy_imagenette.csv</c>).
    /// </summary>
    /// <exception cref="ImagenetteDataException">The folder is not a usable dataset; the message lists every bad file.</exception>
    public static ImagenetteDataset Open(string root, int noisyPercent = 0)
    {
        NoisyLabelFile.IndexOfPercent(noisyPercent); // throws for a percentage that has no label set
        root = Path.GetFullPath(root);
        if (!Directory.Exists(root))
        {
            throw new ImagenetteDataException(
                $"No dataset at '{root}': the folder does not exist. Set {RootVariable} to an extracted Imagenette folder, or download one with ImagenetteDownloader.",
                root);
        }

        var warnings = new List<string>();
        var problems = new List<(string File, string Problem)>();
        var train = SplitScanner.Scan(root, "train", warnings, problems);
        var val = SplitScanner.Scan(root, "val", warnings, problems);
        if (problems.Count > 0)
            throw ImagenetteDataException.ForMany($"{problems.Count} image file(s) under {root} cannot be used:", problems);

        foreach (var (split, files) in new[] { ("train", train), ("val", val) })
        {
            if (files.Count == 0)
            {
                throw new ImagenetteDataException(
                    $"{Path.Combine(root, split)} holds no images: the {split} split is empty. Restore {split}/<wnid>/*.JPEG from the archive (re-extract or re-download it).",
                    Path.Combine(root, split));
            }
        }

        var csv = NoisyLabelFile.TryRead(root);
        if (csv is null && noisyPercent != 0)
        {
            throw new ImagenetteDataException(
                $"{noisyPercent} % noisy labels need {Path.Combine(root, NoisyLabelFile.FileName)}, which is missing. Copy it from the official archive, or open with noisyPercent 0.",
                Path.Combine(root, NoisyLabelFile.FileName));
        }
        var csvLabels = csv?.Reconcile([.. train, .. val], noisyPercent, warnings);

        int LabelOf(IndexedFile file) => csvLabels?.GetValueOrDefault(file.RelativePath, file.FolderLabel) ?? file.FolderLabel;
        List<LabeledImage> Labelled(List<IndexedFile> files) => files.Select(f => new LabeledImage(f.FullPath, f.RelativePath, LabelOf(f))).ToList();
        string fingerprint = ComputeFingerprint(train.Concat(val).Select(f => (f.RelativePath, f.Length, LabelOf(f))));
        return new ImagenetteDataset(root, noisyPercent, Labelled(train), Labelled(val), fingerprint, warnings);
    }

    /// <summary>Opens <paramref name="root"/>, or the default folder (<see cref="FindDefaultRoot()"/>) when it is null.</summary>
    /// <exception cref="ImagenetteDataException">No folder given and no default found; the message says how to get one.</exception>
    public static ImagenetteDataset OpenOrDefault(string? root, int noisyPercent = 0) =>
        Open(root ?? FindDefaultRoot() ?? throw new ImagenetteDataException(
            $"No Imagenette folder given and none found: pass --data DIR (or \"dataset\" in a run file), set {RootVariable}, " +
            "or download one with `pipeline data download --dest DIR`.", DefaultRelativeLocation), noisyPercent);

    /// <summary>
    /// The dataset folder to use when none is given: <c>$PIPELINE_DATA</c> when set, otherwise the first
    /// <c>shared/data/imagenette-224</c> found beside an ancestor of the working folder or of the
    /// application folder; null when there is none.
    /// </summary>
    public static string? FindDefaultRoot() =>
        FindDefaultRoot(Environment.GetEnvironmentVariable(RootVariable), ceiling: null, Directory.GetCurrentDirectory(), AppContext.BaseDirectory);

    /// <param name="ceiling">The walk up stops at this folder (inclusive); null: at the file-system root.
    /// Tests pass their temp folder so a shared copy elsewhere on the machine cannot answer for them.</param>
    internal static string? FindDefaultRoot(string? fromEnvironment, string? ceiling, params string[] startFolders)
    {
        if (!string.IsNullOrEmpty(fromEnvironment))
            return Path.GetFullPath(fromEnvironment);

        foreach (string start in startFolders)
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, DefaultRelativeLocation);
                if (Directory.Exists(candidate))
                    return candidate;
                if (ceiling is not null && Path.TrimEndingDirectorySeparator(dir.FullName) == Path.TrimEndingDirectorySeparator(Path.GetFullPath(ceiling)))
                    break;
            }
        }
        return null;
    }

    private static string ComputeFingerprint(IEnumerable<(string RelativePath, long Length, int Label)> files)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (relativePath, length, label) in files)
            hash.AppendData(Encoding.UTF8.GetBytes($"{relativePath}\t{length}\t{label}\n"));
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }
}
