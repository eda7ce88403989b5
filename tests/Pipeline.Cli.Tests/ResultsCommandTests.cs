using Pipeline.Experiments;
using Pipeline.Reporting.Results;
using Pipeline.Testing;

namespace Pipeline.Cli.Tests;

/// <summary>`pipeline results --readme`: the page and the README's answer map from the same published records.</summary>
public sealed class ResultsCommandTests : IDisposable
{
    private const string Seeds = "pipelines/zero-init-seeds.json";
    private readonly string _folder = Directory.CreateTempSubdirectory("results-command-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>The short-run experiment's pipeline and published records, copied into the test's folder.</summary>
    private void CopySeedsExperiment()
    {
        Directory.CreateDirectory(Path.Combine(_folder, "pipelines"));
        File.Copy(TestRepository.PathOf(Seeds), Path.Combine(_folder, Seeds));
        string records = ExperimentPipeline.Load(TestRepository.PathOf(Seeds)).Results;
        TestRepository.CopyFolder(records, Path.Combine(_folder, records));
    }

    [Fact]
    public void With_readme_the_command_writes_the_page_and_the_readmes_answer_map_from_the_same_records()
    {
        CopySeedsExperiment();
        string readme = Path.Combine(_folder, "README.md");
        File.WriteAllText(readme, $"# Mine\n\n{ReadmeAnswerMap.Begin}\n- typed by hand\n{ReadmeAnswerMap.End}\n\nthe rest\n");

        var result = PipelineProcess.Run(_folder, "results", Seeds, "--output", "page", "--readme", "README.md");

        Assert.True(result.ExitCode == 0, result.ToString());
        string text = File.ReadAllText(readme);
        string map = ReadmeAnswerMap.Current(text, readme);
        Assert.StartsWith($"# Mine\n\n{ReadmeAnswerMap.Begin}\n- **Short runs**: zeroing each block's last γ costs **+5.20 pp**", text, StringComparison.Ordinal);
        Assert.EndsWith($"{ReadmeAnswerMap.End}\n\nthe rest\n", text, StringComparison.Ordinal);
        Assert.Contains(map, File.ReadAllText(Path.Combine(_folder, "page", ResultsPage.PageFile)), StringComparison.Ordinal);
        Assert.DoesNotContain("typed by hand", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_readme_without_the_markers_fails_with_one_line_naming_it_and_nothing_is_written()
    {
        CopySeedsExperiment();
        string readme = Path.Combine(_folder, "README.md");
        File.WriteAllText(readme, "# Mine\n\nno markers\n");

        var result = PipelineProcess.Run(_folder, "results", Seeds, "--output", "page", "--readme", "README.md");

        Assert.True(result.ExitCode == ExitCodes.UsageError, result.ToString());
        var error = Assert.Single(result.ErrorLines);
        Assert.Contains(readme, error, StringComparison.Ordinal);
        Assert.Contains("no begin marker", error, StringComparison.Ordinal);
        Assert.Equal("# Mine\n\nno markers\n", File.ReadAllText(readme));
        Assert.False(Directory.Exists(Path.Combine(_folder, "page")), "the page was written although the command failed");
    }
}
