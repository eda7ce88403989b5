namespace Pipeline.Data;

/// <summary>
/// The official <c>noisy_imagenette.csv</c>: for every image, its label with 0, 1, 5, 25 and 50 % of the
/// train labels replaced at random (fastai's noisy-label sets), and whether it is in val.
/// </summary>
internal sealed class NoisyLabelFile
{
    public const string FileName = "noisy_imagenette.csv";
    public static IReadOnlyList<int> Percents { get; } = [0, 1, 5, 25, 50];

    private sealed record Row(int Line, string[] WnidByPercent, bool IsValid);

    private readonly string _path;
    private readonly Dictionary<string, Row> _rows;
    private readonly ClassTable _classes;

    private NoisyLabelFile(string path, Dictionary<string, Row> rows, ClassTable classes)
    {
        _path = path;
        _rows = rows;
        _classes = classes;
    }

    /// <summary>Reads the CSV in <paramref name="root"/>, its labels among <paramref name="classes"/>, or returns null when there is none.</summary>
    public static NoisyLabelFile? TryRead(string root, ClassTable classes)
    {
        string path = Path.Combine(root, FileName);
        if (!File.Exists(path))
            return null;

        using var reader = new StreamReader(path);
        string[] header = (reader.ReadLine() ?? "").Split(',');
        int pathColumn = Column(header, "path", path);
        int validColumn = Column(header, "is_valid", path);
        int[] labelColumns = Percents.Select(p => Column(header, $"noisy_labels_{p}", path)).ToArray();

        var rows = new Dictionary<string, Row>(StringComparer.Ordinal);
        var problems = new List<(string File, string Problem)>();
        int line = 1;
        while (reader.ReadLine() is { } text)
        {
            line++;
            if (text.Length == 0)
                continue;
            string[] fields = text.Split(',');
            if (fields.Length != header.Length)
            {
                problems.Add(($"{FileName} line {line}", $"{fields.Length} fields where the header has {header.Length}."));
                continue;
            }
            string[] wnids = labelColumns.Select(c => fields[c]).ToArray();
            if (wnids.FirstOrDefault(w => classes.IndexOf(w) < 0) is { } unknown)
                problems.Add(($"{FileName} line {line}", $"label '{unknown}' is not one of the dataset's classes."));
            else if (!bool.TryParse(fields[validColumn], out bool isValid))
                problems.Add(($"{FileName} line {line}", $"is_valid is '{fields[validColumn]}', expected True or False."));
            else if (!rows.TryAdd(fields[pathColumn], new Row(line, wnids, isValid)))
                problems.Add(($"{FileName} line {line}", $"{fields[pathColumn]} is listed twice (first on line {rows[fields[pathColumn]].Line})."));
        }
        if (problems.Count > 0)
            throw DatasetException.ForMany($"{path} is malformed. Replace it with the noisy_imagenette.csv of the official archive, or delete it to use the folder labels:", problems);
        return new NoisyLabelFile(path, rows, classes);
    }

    /// <summary>
    /// Checks the CSV against the files found on disk and returns each file's label for
    /// <paramref name="noisyPercent"/>. A file listed but missing is a warning (it is just not there);
    /// a file whose folder or split contradicts the CSV is an error; a file on disk that the CSV
    /// does not list is an error when its noisy label is needed and a warning otherwise.
    /// </summary>
    public Dictionary<string, int> Reconcile(IReadOnlyCollection<IndexedFile> files, int noisyPercent, List<string> warnings)
    {
        int percentIndex = IndexOfPercent(noisyPercent);
        var labels = new Dictionary<string, int>(StringComparer.Ordinal);
        var problems = new List<(string File, string Problem)>();
        var onDisk = new HashSet<string>(StringComparer.Ordinal);

        foreach (var file in files)
        {
            onDisk.Add(file.RelativePath);
            if (!_rows.TryGetValue(file.RelativePath, out var row))
            {
                if (noisyPercent == 0)
                    warnings.Add($"{file.RelativePath}: not listed in {FileName}; labelled by its folder. Add it to the CSV, or delete the CSV if this copy has its own files.");
                else
                    problems.Add((file.RelativePath, $"on disk but not listed in {FileName}, so it has no {noisyPercent} % noisy label. Add a row for it, delete the file, or open the dataset with noisyPercent 0."));
                continue;
            }

            bool inVal = file.RelativePath.StartsWith("val/", StringComparison.Ordinal);
            if (row.IsValid != inVal)
                problems.Add((file.RelativePath, $"{FileName} line {row.Line} says is_valid={row.IsValid} but the file is in {(inVal ? "val" : "train")}/. Move the file back to its split or replace the CSV with the official one."));
            else if (_classes.IndexOf(row.WnidByPercent[0]) != file.FolderLabel)
                problems.Add((file.RelativePath, $"{FileName} line {row.Line} gives class {row.WnidByPercent[0]} but the file is in the folder of {_classes[file.FolderLabel].Id}. Move the file back to its class folder or replace the CSV with the official one."));
            else
                labels[file.RelativePath] = _classes.IndexOf(row.WnidByPercent[percentIndex]);
        }

        foreach (var (path, row) in _rows.Where(r => !onDisk.Contains(r.Key)))
            warnings.Add($"{path}: listed in {FileName} (line {row.Line}) but not found as a usable image on disk, left out. Restore it from the archive to use it.");

        if (problems.Count > 0)
            throw DatasetException.ForMany($"{_path} disagrees with the files under {Path.GetDirectoryName(_path)}:", problems);
        return labels;
    }

    public static int IndexOfPercent(int noisyPercent)
    {
        int index = Percents.ToList().IndexOf(noisyPercent);
        return index >= 0
            ? index
            : throw new ArgumentOutOfRangeException(nameof(noisyPercent), noisyPercent, $"Imagenette has noisy-label sets for {string.Join(", ", Percents)} % only.");
    }

    private static int Column(string[] header, string name, string path)
    {
        int index = Array.IndexOf(header, name);
        return index >= 0
            ? index
            : throw new DatasetException($"{path}: the header has no '{name}' column (expected path,noisy_labels_0,...,noisy_labels_50,is_valid). Replace it with the official file or delete it to use the folder labels.", path);
    }
}
