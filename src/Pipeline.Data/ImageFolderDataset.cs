using System.Security.Cryptography;
using System.Text;

namespace Pipeline.Data;

/// <summary>
/// A folder of labelled images in the ImageFolder layout that torchvision and fastai read, indexed without decoding a
/// single JPEG: <c>train/&lt;class&gt;/*.jpg</c> and <c>val/&lt;class&gt;/*.jpg</c>, or class folders directly under it,
/// split by a stated, seeded fraction (<see cref="DatasetSplit"/>). Classes are the folders, label index = sorted folder
/// order; an optional <c>classes.csv</c> (<see cref="ClassesFile"/>) gives them readable names. Imagenette is one such
/// dataset: a copy (recognised by its <c>noisy_imagenette.csv</c>) takes its WordNet ids' names from
/// <see cref="ImagenetteClasses"/>, and its noisy-label sets stay its own extra.
/// </summary>
public sealed class ImageFolderDataset
{
    /// <summary>Environment variable that points at a dataset folder, taking precedence over the embedded default.</summary>
    public const string RootVariable = "PIPELINE_DATA";

    /// <summary>Where the project's own copy sits relative to some ancestor of the working folder.</summary>
    public static readonly string DefaultRelativeLocation = Path.Combine("shared", "data", "imagenette-224");

    /// <summary>More classes than this need a classes file that lists them (<see cref="ClassTable.ThrowIfCountOutOfRange"/>).</summary>
    public const int UnconfirmedClassLimit = 100;

    public string Root { get; }

    /// <summary>A short name for reports: "imagenette" for an Imagenette copy, else the folder's name.</summary>
    public string Name { get; }

    /// <summary>The classes, in label order.</summary>
    public ClassTable Classes { get; }

    /// <summary>Where the classes and their names come from ("classes.csv", "Imagenette's classes file", "the class folders of …").</summary>
    public string ClassesSource { get; }

    /// <summary>The fraction split, or null for a dataset with its own train/ and val/ folders.</summary>
    public DatasetSplit? Split { get; }

    public IReadOnlyList<LabeledImage> Train { get; }
    public IReadOnlyList<LabeledImage> Val { get; }
    public int NoisyPercent { get; }

    /// <summary>
    /// Identifies exactly this set of files and labels: a hash of every (relative path, byte length,
    /// label), train then val. Cheap (file sizes, no pixel reads) and the same wherever the folder is.
    /// </summary>
    public string Fingerprint { get; }

    /// <summary>Files left out or oddities found while indexing, each naming the file and what to do.</summary>
    public IReadOnlyList<string> Warnings { get; }

    private ImageFolderDataset(string root, string name, ClassTable classes, string classesSource, DatasetSplit? split, int noisyPercent,
        List<LabeledImage> train, List<LabeledImage> val, string fingerprint, List<string> warnings)
    {
        Root = root;
        Name = name;
        Classes = classes;
        ClassesSource = classesSource;
        Split = split;
        NoisyPercent = noisyPercent;
        Train = train;
        Val = val;
        Fingerprint = fingerprint;
        Warnings = warnings;
    }

    /// <summary>
    /// Indexes the dataset at <paramref name="root"/>: with its own train/ and val/ folders, or, given
    /// <paramref name="split"/>, its class folders split by that fraction. Imagenette copies may use one of their
    /// noisy-label sets (0, 1, 5, 25 or 50 %; anything but 0 needs <c>noisy_imagenette.csv</c>).
    /// </summary>
    /// <exception cref="DatasetException">The folder is not a usable dataset; the message names every bad file and the fix.</exception>
    public static ImageFolderDataset Open(string root, int noisyPercent = 0, DatasetSplit? split = null)
    {
        NoisyLabelFile.IndexOfPercent(noisyPercent); // throws for a percentage that has no label set
        root = Path.GetFullPath(root);
        if (!Directory.Exists(root))
        {
            throw new DatasetException(
                $"No dataset at '{root}': the folder does not exist. Pass --data DIR (a folder with train/<class>/ and val/<class>/), set {RootVariable}, " +
                "or download Imagenette with `pipeline data download --dest DIR`.",
                root);
        }
        split?.ThrowIfInvalid(root);
        string trainDir = Path.Combine(root, "train");
        string valDir = Path.Combine(root, "val");
        if (split is null)
        {
            foreach (string dir in new[] { trainDir, valDir }.Where(d => !Directory.Exists(d)))
            {
                throw new DatasetException(
                    $"'{dir}' does not exist: a dataset folder needs train/<class>/*.jpg and val/<class>/*.jpg (the ImageFolder layout; " +
                    "the official Imagenette archives have it), or class folders directly under it, split with --val-fraction. Point --data at the dataset's top folder.",
                    dir);
            }
        }
        else if (Directory.Exists(trainDir) || Directory.Exists(valDir))
        {
            throw new DatasetException(
                $"{root} has its own train/ or val/ folder, and a validation fraction was given too: which split is meant? Drop the fraction (--val-fraction) to use the folders, " +
                "or point --data at a folder of class folders.", root);
        }

        bool isImagenette = File.Exists(Path.Combine(root, NoisyLabelFile.FileName));
        var (classes, source) = ClassesOf(root, split is null ? trainDir : root, isImagenette);

        var warnings = new List<string>();
        var problems = new List<(string File, string Problem)>();
        List<IndexedFile> train, val;
        if (split is null)
        {
            train = SplitScanner.Scan(root, "train", classes, source, warnings, problems);
            val = SplitScanner.Scan(root, "val", classes, source, warnings, problems);
        }
        else
        {
            (train, val) = split.Apply(SplitScanner.Scan(root, "", classes, source, warnings, problems));
            var scored = val.Select(f => f.FolderLabel).ToHashSet();
            foreach (var missing in classes.Where(c => !scored.Contains(c.Index) && train.Any(f => f.FolderLabel == c.Index)))
                warnings.Add($"{missing.Id}/: class {missing.Index} ({missing.Name}) has one image, kept for training, so it is never scored. Add more of its images.");
        }
        if (problems.Count > 0)
            throw DatasetException.ForMany($"{problems.Count} file(s) or folder(s) under {root} cannot be used:", problems);

        if (split is null && val.Count == 0)
        {
            throw new DatasetException(
                $"{valDir} holds no images: the val split is empty. Restore val/<class>/*.jpg (for Imagenette: re-extract or re-download the archive).",
                valDir);
        }

        if (split is not null && noisyPercent != 0)
            throw new DatasetException($"{noisyPercent} % noisy labels are Imagenette's, for its own train/val split: open {root} without a fraction, or with noisyPercent 0.", root);
        var csv = split is null ? NoisyLabelFile.TryRead(root, classes) : null;
        if (csv is null && noisyPercent != 0)
        {
            throw new DatasetException(
                $"{noisyPercent} % noisy labels need {Path.Combine(root, NoisyLabelFile.FileName)}, which is missing. Copy it from the official archive, or open with noisyPercent 0.",
                Path.Combine(root, NoisyLabelFile.FileName));
        }
        var csvLabels = csv?.Reconcile([.. train, .. val], noisyPercent, warnings);

        int LabelOf(IndexedFile file) => csvLabels?.GetValueOrDefault(file.RelativePath, file.FolderLabel) ?? file.FolderLabel;
        List<LabeledImage> Labelled(List<IndexedFile> files) => files.Select(f => new LabeledImage(f.FullPath, f.RelativePath, LabelOf(f))).ToList();
        string fingerprint = ComputeFingerprint(train.Concat(val).Select(f => (f.RelativePath, f.Length, LabelOf(f))));
        string name = isImagenette ? "imagenette" : Path.GetFileName(Path.TrimEndingDirectorySeparator(root));
        return new ImageFolderDataset(root, name, classes, source.Description, split, noisyPercent, Labelled(train), Labelled(val), fingerprint, warnings);
    }

    /// <summary>
    /// The class list: the dataset's classes.csv if it has one; else, for an Imagenette copy, Imagenette's; else the folders
    /// of <paramref name="classDir"/>. Checked for duplicates and a count from 2 to 1,000 (more than
    /// <see cref="UnconfirmedClassLimit"/> only when a classes file lists them).
    /// </summary>
    private static (ClassTable Classes, ClassSource Source) ClassesOf(string root, string classDir, bool isImagenette)
    {
        string file = Path.Combine(root, ClassesFile.FileName);
        var (classes, source) = File.Exists(file) ? (ClassTable.Of(ClassesFile.Read(file), file), ClassSource.File(file))
            : isImagenette ? (ImagenetteClasses.All, ClassSource.Imagenette)
            : (ClassTable.Of(SplitScanner.ClassFolders(classDir, topFolder: classDir == root).Select(f => (f, f)), classDir), ClassSource.Folders(classDir));
        classes.ThrowIfCountOutOfRange(source.Listed ? file : classDir, source.Listed, UnconfirmedClassLimit);
        return (classes, source);
    }

    /// <summary>Opens <paramref name="root"/>, or the default folder (<see cref="FindDefaultRoot()"/>) when it is null.</summary>
    /// <exception cref="DatasetException">No folder given and no default found; the message says how to get one.</exception>
    public static ImageFolderDataset OpenOrDefault(string? root, int noisyPercent = 0, DatasetSplit? split = null) =>
        Open(root ?? FindDefaultRoot() ?? throw new DatasetException(
            $"No dataset folder given and none found: pass --data DIR (or \"data\" in a run or pipeline file), set {RootVariable}, " +
            "or download Imagenette with `pipeline data download --dest DIR`.", DefaultRelativeLocation), noisyPercent, split);

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
