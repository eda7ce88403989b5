using System.Text;
using Pipeline.Testing;

namespace Pipeline.Experiments.Tests;

/// <summary>
/// The documentation (issue #25): the README is a small front door (its size is checked beside its generated answer map,
/// in <c>ReadmeAnswerMapTests</c>), the rest lives in docs/ and in the READMEs beside the code, and every relative link
/// among them lands on a file and, for a <c>#anchor</c>, on a heading.
/// </summary>
public class DocumentationTests
{
    private static readonly string Root = TestRepository.Root;

    /// <summary>
    /// The Markdown the links are checked in: README.md, everything under docs/ (the generated results page and run
    /// summaries included) and deploy/, and every README under src/ and tests/. Build outputs are left out.
    /// </summary>
    private static IEnumerable<string> DocumentationFiles()
    {
        yield return Path.Combine(Root, "README.md");
        foreach (string folder in new[] { "docs", "deploy" })
            foreach (string file in MarkdownUnder(folder))
                yield return file;
        foreach (string folder in new[] { "src", "tests" })
            foreach (string file in MarkdownUnder(folder).Where(f => Path.GetFileName(f) == "README.md"))
                yield return file;
    }

    private static IEnumerable<string> MarkdownUnder(string folder) =>
        Directory.EnumerateFiles(Path.Combine(Root, folder), "*.md", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(Root, f).Split(Path.DirectorySeparatorChar)
                .Any(part => part is "bin" or "obj"));

    [Fact]
    public void Every_relative_link_in_the_documentation_lands_on_a_file_and_its_heading()
    {
        var files = DocumentationFiles().ToList();
        Assert.Contains(files, f => f.EndsWith(Path.Combine("docs", "results", "README.md"), StringComparison.Ordinal));

        var broken = MarkdownLinks.Check(Root, files);

        Assert.True(broken.Count == 0,
            $"{broken.Count} broken relative link(s) in {files.Count} Markdown files (expected every target file to " +
            "exist and every #anchor to be a heading of its target, slugged as GitHub does):\n" +
            string.Join("\n", broken));
    }

    [Fact]
    public void Ci_runs_the_test_command_the_readme_gives()
    {
        const string command = "dotnet tool restore && dotnet cake --target=Test";
        string readme = File.ReadAllText(Path.Combine(Root, "README.md"));
        var ci = File.ReadAllLines(Path.Combine(Root, ".ci", "run")).Select(l => l.Trim()).ToList();

        Assert.True(readme.Split('\n').Any(l => l.Trim() == command),
            $"README.md should give the test command on a line of its own: {command}");
        int restore = ci.IndexOf("dotnet tool restore");
        int test = ci.IndexOf("dotnet cake --target=Test");
        Assert.True(restore >= 0 && test > restore,
            $".ci/run should run the README's test command, `dotnet tool restore` then `dotnet cake --target=Test`; it runs:\n{string.Join("\n", ci)}");
    }

    [Fact]
    public void The_link_check_names_each_broken_link_with_its_file_line_and_reason()
    {
        string folder = Directory.CreateTempSubdirectory("doc-links-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(folder, "docs"));
            File.WriteAllText(Path.Combine(folder, "docs", "page.md"),
                "# A page\n\n## Why: the branches wake up\n\n## Why: the branches wake up\n\nText.\n", Encoding.UTF8);
            File.WriteAllText(Path.Combine(folder, "README.md"), string.Join("\n",
                "# Front door",
                "",
                "[good](docs/page.md) and [good anchor](docs/page.md#why-the-branches-wake-up),",
                "[second heading](docs/page.md#why-the-branches-wake-up-1), [folder](docs), [here](#front-door),",
                "[web](https://example.com/missing.md) ![image](docs/page.md \"title\")",
                "[missing file](docs/gone.md)",
                "[missing heading](docs/page.md#no-such-heading), [missing here](#nowhere), [fenced heading](#in-a-fence)",
                "`[in a code span](docs/gone.md)`",
                "",
                "    [in indented code](docs/gone.md)",
                "",
                "```",
                "# In a fence",
                "[in a fence](docs/gone.md)",
                "```",
                "[ref]: docs/also-gone.md",
                "[outside](../elsewhere.md)",
                ""), Encoding.UTF8);

            var broken = MarkdownLinks.Check(folder, [Path.Combine(folder, "README.md"), Path.Combine(folder, "docs", "page.md")])
                .Select(b => b.ToString()).ToList();

            Assert.Equal(
            [
                "README.md:6: (docs/gone.md) no file or folder docs/gone.md",
                "README.md:7: (docs/page.md#no-such-heading) no heading #no-such-heading in docs/page.md",
                "README.md:7: (#nowhere) no heading #nowhere in README.md",
                "README.md:7: (#in-a-fence) no heading #in-a-fence in README.md",
                "README.md:16: (docs/also-gone.md) no file or folder docs/also-gone.md",
                "README.md:17: (../elsewhere.md) points outside the repository",
            ], broken);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("Why: the residual branches waking up", "why-the-residual-branches-waking-up")]
    [InlineData("Inference and the ML.NET evaluation", "inference-and-the-mlnet-evaluation")]
    [InlineData("The `pipeline` tool and the Cake targets", "the-pipeline-tool-and-the-cake-targets")]
    [InlineData("A crash mid-run, and the collector test", "a-crash-mid-run-and-the-collector-test")]
    [InlineData("1×1 convolutions in the bottleneck blocks", "11-convolutions-in-the-bottleneck-blocks")]
    [InlineData("Results: zero-init of each residual block's last BatchNorm γ, with evidence", "results-zero-init-of-each-residual-blocks-last-batchnorm-γ-with-evidence")]
    [InlineData("**Bold** and [a link](x.md) and snake_case", "bold-and-a-link-and-snake_case")]
    [InlineData("The long-run claim: 5, 10, 20, 40, 80 epochs at 64 px (zero-init-long-run)", "the-long-run-claim-5-10-20-40-80-epochs-at-64-px-zero-init-long-run")]
    public void A_heading_is_slugged_as_github_does(string heading, string anchor) =>
        Assert.Equal(anchor, MarkdownLinks.Slug(heading));
}
