namespace Pipeline.Data;

/// <summary>
/// A dataset's optional <c>classes.csv</c>: one line per class, <c>folder,name</c>, under a <c>folder,name</c> header.
/// It gives each class folder a readable name, and it is the class list: a folder it does not name is skipped with a
/// warning. The name is everything after the first comma (so it may hold commas); surrounding quotes are dropped.
/// Imagenette's is <c>Imagenette/classes.csv</c> in this project (the shared copy is read-only).
/// </summary>
public static class ClassesFile
{
    public const string FileName = "classes.csv";
    private const string Header = "folder,name";

    /// <summary>The (folder, name) pairs of the classes file at <paramref name="path"/>, in the file's order.</summary>
    /// <exception cref="DatasetException">The file is malformed; the message names every bad line.</exception>
    public static IReadOnlyList<(string Folder, string Name)> Read(string path) => Parse(File.ReadAllLines(path), path);

    internal static IReadOnlyList<(string Folder, string Name)> Parse(IReadOnlyList<string> lines, string source)
    {
        if (lines.Count == 0 || !string.Equals(lines[0].Trim().TrimStart('\uFEFF'), Header, StringComparison.OrdinalIgnoreCase))
        {
            throw new DatasetException(
                $"{source}: the first line must be the header '{Header}' (then one line per class: its folder, a comma, its readable name).", source);
        }
        var pairs = new List<(string, string)>();
        var problems = new List<(string File, string Problem)>();
        for (int i = 1; i < lines.Count; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0)
                continue;
            int comma = line.IndexOf(',');
            string folder = Unquote(comma < 0 ? line : line[..comma]);
            string name = comma < 0 ? "" : Unquote(line[(comma + 1)..]);
            if (folder.Length == 0 || folder.IndexOfAny(['/', '\\']) >= 0 || folder is "." or "..")
                problems.Add(($"{FileName} line {i + 1}", $"'{folder}' is not a class folder's name. Write the folder's name as it is under train/."));
            else if (name.Length == 0)
                problems.Add(($"{FileName} line {i + 1}", $"class '{folder}' has no name. Write folder,name (the folder's own name will do)."));
            else
                pairs.Add((folder, name));
        }
        if (problems.Count > 0)
            throw DatasetException.ForMany($"{source} is malformed:", problems);
        return pairs;
    }

    private static string Unquote(string field)
    {
        field = field.Trim();
        return field.Length >= 2 && field[0] == '"' && field[^1] == '"' ? field[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal).Trim() : field;
    }
}
