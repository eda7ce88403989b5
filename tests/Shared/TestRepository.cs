namespace Pipeline.Testing;

/// <summary>
/// The repository the tests were built in: the first folder above the test binaries that holds Pipeline.sln. Compiled
/// into every test project (Directory.Build.props), so each finds the repository one way.
/// </summary>
internal static class TestRepository
{
    public static string Root { get; } = Find();

    /// <summary>A path in the repository, from its path relative to the root ("pipelines/quick.json").</summary>
    public static string PathOf(string relative) => Path.Combine(Root, relative);

    /// <summary>Copies a repository folder ("docs/results/zero-init-seeds"), every file below it, into <paramref name="destination"/>.</summary>
    public static void CopyFolder(string relative, string destination)
    {
        string source = PathOf(relative);
        foreach (string file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            string copy = Path.Combine(destination, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }
    }

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Pipeline.sln")))
                return dir.FullName;
        throw new DirectoryNotFoundException($"No Pipeline.sln above {AppContext.BaseDirectory}.");
    }
}
