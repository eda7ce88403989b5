namespace Pipeline.Data;

/// <summary>A file found under <c>&lt;split&gt;/&lt;wnid&gt;/</c>, before labels are settled.</summary>
internal sealed record IndexedFile(string FullPath, string RelativePath, long Length, int FolderLabel);

/// <summary>
/// Lists one split folder (<c>train/</c> or <c>val/</c>) of the official layout. Files that cannot be
/// part of the dataset (outside a class folder, an unknown class, not an image) are skipped with a
/// counted warning; files that claim to be images but are not (empty, wrong format) are errors,
/// collected so the user sees all of them at once.
/// </summary>
internal static class SplitScanner
{
    private static readonly string[] s_imageExtensions = [".jpeg", ".jpg"];

    public static List<IndexedFile> Scan(string root, string split, List<string> warnings, List<(string File, string Problem)> problems)
    {
        string splitDir = Path.Combine(root, split);
        if (!Directory.Exists(splitDir))
        {
            throw new ImagenetteDataException(
                $"'{splitDir}' does not exist: a dataset folder needs train/<wnid>/*.JPEG and val/<wnid>/*.JPEG " +
                "(the layout of the official Imagenette archives). Point at the extracted archive's top folder, or download one with ImagenetteDownloader.",
                splitDir);
        }

        var files = new List<IndexedFile>();
        foreach (string stray in Directory.EnumerateFiles(splitDir))
            warnings.Add($"{Relative(root, stray)}: not inside a class folder, skipped. Move it into {split}/<wnid>/ or delete it.");

        foreach (string classDir in Directory.EnumerateDirectories(splitDir).Order(StringComparer.Ordinal))
        {
            string wnid = Path.GetFileName(classDir);
            int label = ImagenetteClasses.IndexOf(wnid);
            if (label < 0)
            {
                int skipped = Directory.EnumerateFiles(classDir, "*", SearchOption.AllDirectories).Count();
                warnings.Add($"{Relative(root, classDir)}/: '{wnid}' is not an Imagenette class, {skipped} file(s) skipped. " +
                    "Remove the folder, or move its images into one of the ten class folders.");
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

        foreach (var missing in ImagenetteClasses.All.Where(c => !files.Any(f => f.FolderLabel == c.Index)))
            warnings.Add($"{split}/{missing.Wnid}/: no images of class {missing.Index} ({missing.Name}) in {split}. Restore the folder from the archive if this copy should be complete.");

        files.Sort((a, b) => string.CompareOrdinal(a.RelativePath, b.RelativePath));
        return files;
    }

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
            return "the file is empty (0 bytes). Delete it or replace it with the original image from the archive.";
        if (!FileSignature.IsJpeg(head))
            return $"named .JPEG but the content is {FileSignature.Describe(head)}, not a JPEG. Delete it or replace it with the original image from the archive.";
        return FileSignature.EndsLikeJpeg(tail) ? null : ImageDecoder.Check(path); // bytes after the marker are legal: decode to decide
    }

    /// <summary>Path under the root with '/' separators, the form the official CSV uses.</summary>
    public static string Relative(string root, string path) => Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/');
}
