namespace Pipeline.Data;

/// <summary>A file found under <c>&lt;split&gt;/&lt;class&gt;/</c>, before labels are settled.</summary>
internal sealed record IndexedFile(string FullPath, string RelativePath, long Length, int FolderLabel);

/// <summary>Where a dataset's class list comes from, and what messages say about it.</summary>
/// <param name="Listed">A classes file lists the classes: folders it does not name are skipped, and their count needs no confirming.
/// False: the classes are the train split's folders.</param>
/// <param name="Description">The list in messages ("classes.csv", "Imagenette's classes file", "the folders of train/").</param>
/// <param name="UnknownFolder">What a folder that is not a class is ("not in classes.csv").</param>
/// <param name="UnknownFolderFix">What to do about such a folder.</param>
/// <param name="EmptyClassFix">What to do about a class without training images, besides adding some.</param>
internal sealed record ClassSource(bool Listed, string Description, string UnknownFolder, string UnknownFolderFix, string EmptyClassFix)
{
    public static ClassSource File(string path) => new(true, ClassesFile.FileName,
        $"not in {ClassesFile.FileName}", $"Remove the folder, or add a line for it to {path}.", $"or remove its line from {path}");

    public static ClassSource Imagenette { get; } = new(true, "Imagenette's classes file",
        "not an Imagenette class", "Remove the folder, or move its images into one of the ten class folders.", "or restore the folder from the archive");

    public static ClassSource Folders(string classDir) => new(false, $"the class folders of {classDir}", "", "", "or remove the folder");
}

/// <summary>
/// Lists one split folder (<c>train/</c>, <c>val/</c>, or the dataset's top folder when it is split by a fraction) of the
/// ImageFolder layout against a class table. Files that cannot be part of the dataset (outside a class folder, a folder the
/// classes file does not name, not a JPEG) are skipped with a counted warning; files that claim to be images but are not
/// (empty, wrong format, truncated) are errors, collected so the user sees all of them at once, as are the class rules a
/// split breaks (a class without training images, a val folder that train does not have).
/// </summary>
internal static class SplitScanner
{
    private static readonly string[] s_imageExtensions = [".jpeg", ".jpg"];

    /// <summary>Files a dataset's top folder holds beside its class folders, never warned about.</summary>
    private static readonly string[] s_datasetFiles = [ClassesFile.FileName, NoisyLabelFile.FileName];

    /// <param name="split">"train", "val", or "" for the top folder of a dataset split by a fraction.</param>
    public static List<IndexedFile> Scan(string root, string split, ClassTable classes, ClassSource source, List<string> warnings, List<(string File, string Problem)> problems)
    {
        string splitDir = split.Length == 0 ? root : Path.Combine(root, split);
        string shown = split.Length == 0 ? "" : $"{split}/";
        var files = new List<IndexedFile>();
        var skippedPerClass = new Dictionary<int, int>();
        foreach (string stray in Directory.EnumerateFiles(splitDir).Where(f => split.Length > 0 || !s_datasetFiles.Contains(Path.GetFileName(f))))
            warnings.Add($"{Relative(root, stray)}: not inside a class folder, skipped. Move it into {shown}<class>/ or delete it.");

        foreach (string classDir in Directory.EnumerateDirectories(splitDir).Order(StringComparer.Ordinal))
        {
            string id = Path.GetFileName(classDir);
            if (split.Length == 0 && id is "train" or "val")
                continue; // ImageFolder's split folders, refused by the caller when they are the layout
            int label = classes.IndexOf(id);
            if (label < 0)
            {
                if (source.Listed)
                {
                    int skipped = Directory.EnumerateFiles(classDir, "*", SearchOption.AllDirectories).Count();
                    warnings.Add($"{Relative(root, classDir)}/: '{id}' is {source.UnknownFolder}, {skipped} file(s) skipped. {source.UnknownFolderFix}");
                }
                else
                {
                    problems.Add(($"{Relative(root, classDir)}/", $"class '{id}' is in {split} but not in train, so no model can learn it. " +
                        $"Add its training images under train/{id}/, or remove {split}/{id}/."));
                }
                continue;
            }

            foreach (string nested in Directory.EnumerateDirectories(classDir))
                warnings.Add($"{Relative(root, nested)}/: sub-folders of a class folder are not read, skipped. Move its images up one level or delete it.");

            foreach (string file in Directory.EnumerateFiles(classDir))
            {
                string relative = Relative(root, file);
                if (!s_imageExtensions.Contains(Path.GetExtension(file), StringComparer.OrdinalIgnoreCase))
                {
                    warnings.Add($"{relative}: not a .JPEG file, skipped. Delete it, or convert it to JPEG to include it.");
                    skippedPerClass[label] = skippedPerClass.GetValueOrDefault(label) + 1;
                    continue;
                }
                if (CheckImageFile(file) is { } problem)
                {
                    problems.Add((relative, problem));
                    continue;
                }
                files.Add(new IndexedFile(file, relative, new FileInfo(file).Length, label));
            }
        }

        var present = files.Select(f => f.FolderLabel).ToHashSet();
        foreach (var missing in classes.Where(c => !present.Contains(c.Index)))
        {
            if (split == "val")
            {
                warnings.Add($"{shown}{missing.Id}/: no images of class {missing.Index} ({missing.Name}) in {split}, so it is never scored. " +
                    "Restore the folder from the archive if this copy should be complete, or add some of its images.");
                continue;
            }
            string skipped = skippedPerClass.TryGetValue(missing.Index, out int n) ? $" ({n} file(s) that are not JPEGs were skipped: convert them to JPEG)" : "";
            problems.Add(($"{shown}{missing.Id}/", $"class {missing.Index} ({missing.Name}) has no training images{skipped}. Add JPEG images of it there, {source.EmptyClassFix}."));
        }

        files.Sort((a, b) => string.CompareOrdinal(a.RelativePath, b.RelativePath));
        return files;
    }

    /// <summary>The class folders of a split folder: the class list of a dataset without a classes file.</summary>
    public static IEnumerable<string> ClassFolders(string splitDir, bool topFolder) =>
        Directory.EnumerateDirectories(splitDir).Select(Path.GetFileName).Where(n => !(topFolder && n is "train" or "val"))!;

    /// <summary>
    /// The checks every command gets when it opens the dataset, cheap enough for 13,394 files: empty files, files that
    /// are not JPEGs, and truncated JPEGs. A complete JPEG ends with the end-of-image marker; one that does not is
    /// decoded (<see cref="ImageDecoder.Check"/>, the strict decoder the cache build uses) and refused with the
    /// decoder's own reason, so a truncated file fails `data verify`, `evaluate`, `validate` and `train` alike,
    /// before anything is trained or scored.
    /// </summary>
    private static string? CheckImageFile(string path)
    {
        var (head, tail) = FileSignature.ReadHeadAndTail(path);
        if (head.Length == 0)
            return "the file is empty (0 bytes). Delete it or replace it with the original image.";
        if (!FileSignature.IsJpeg(head))
            return $"named .JPEG but the content is {FileSignature.Describe(head)}, not a JPEG. Delete it or replace it with the original image.";
        return FileSignature.EndsLikeJpeg(tail) ? null : ImageDecoder.Check(path); // bytes after the marker are legal: decode to decide
    }

    /// <summary>Path under the root with '/' separators, the form the official CSV uses.</summary>
    public static string Relative(string root, string path) => Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/');
}
