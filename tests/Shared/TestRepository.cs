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

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Pipeline.sln")))
                return dir.FullName;
        throw new DirectoryNotFoundException($"No Pipeline.sln above {AppContext.BaseDirectory}.");
    }
}
