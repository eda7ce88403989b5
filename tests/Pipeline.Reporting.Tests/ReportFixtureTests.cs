using Pipeline.Testing;

namespace Pipeline.Reporting.Tests;

/// <summary>
/// A committed report.json (two models, an answer with its table, a regression, a data warning, a history, a training
/// run) and the report.md it renders to: what the Markdown says changes only when someone means it to.
/// </summary>
public sealed class ReportFixtureTests
{
    private static readonly string Folder = TestRepository.PathOf("tests/Pipeline.Reporting.Tests/Fixtures/Report");

    [Fact]
    public void The_committed_report_json_renders_the_committed_markdown()
    {
        var report = ReportReader.Load(Path.Combine(Folder, ReportWriter.JsonFileName));

        string expected = File.ReadAllText(Path.Combine(Folder, "report.md"));
        Assert.True(expected == ReportWriter.ToMarkdown(report),
            "report.md is not what the committed report.json renders. If the change is meant, render it again " +
            "(`pipeline report tests/Pipeline.Reporting.Tests/Fixtures/Report/report.json -o DIR`, copy DIR/report.md here) and read the diff.");
    }
}
