namespace Pipeline.Experiments;

/// <summary>How the tool shows a path to people: relative to the working folder when it lies below it (short, and no home folder on display), else as it is.</summary>
public static class DisplayPath
{
    public static string Of(string path)
    {
        if (!Path.IsPathRooted(path))
            return path;
        string relative = Path.GetRelativePath(Environment.CurrentDirectory, path);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? path : relative;
    }
}
