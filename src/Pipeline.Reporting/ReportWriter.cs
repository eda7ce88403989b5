using System.Text.Json;
using Pipeline.Evaluation;
using Pipeline.Experiments;
using Pipeline.Reporting.Documents;

namespace Pipeline.Reporting;

/// <summary>The files one report is written to.</summary>
public sealed record ReportFiles(string Json, string Markdown, string Html);

/// <summary>
/// Writes a report three ways: <c>report.json</c> (machine-readable, everything), <c>report.md</c>
/// (the summary, for a PR comment or a job summary) and <c>report.html</c> (self-contained: CSS and
/// SVG plots inline, one file to keep as an artifact). Markdown and HTML are one document
/// (<see cref="ReportSections"/>) written by <see cref="MarkdownWriter"/> and <see cref="HtmlWriter"/>.
/// </summary>
public static class ReportWriter
{
    public const string JsonFileName = "report.json";

    public static ReportFiles Write(EvaluationReport report, string directory)
    {
        Directory.CreateDirectory(directory);
        var files = new ReportFiles(
            Path.Combine(directory, JsonFileName),
            Path.Combine(directory, "report.md"),
            Path.Combine(directory, "report.html"));
        WriteAtomically(files.Json, ToJson(report));
        WriteAtomically(files.Markdown, ToMarkdown(report));
        WriteAtomically(files.Html, ToHtml(report));
        return files;
    }

    /// <summary>
    /// Proves that reports can be written to <paramref name="directory"/> (creating it), by writing and deleting a file
    /// there, so a run learns of a bad report folder before it scores anything.
    /// </summary>
    /// <exception cref="EvaluationException">The folder cannot be created or written to.</exception>
    public static void CheckWritable(string directory)
    {
        try
        {
            Directory.CreateDirectory(directory);
            using var probe = new FileStream(Path.Combine(directory, $".write-check-{Guid.NewGuid():N}.tmp"),
                FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1, FileOptions.DeleteOnClose);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new EvaluationException(directory, $"reports cannot be written to this folder ({e.Message}). Pass another report folder. Nothing was scored.", e);
        }
    }

    /// <summary>A reader (a web server, the artifact upload) never sees half a report.</summary>
    private static void WriteAtomically(string path, string text) => AtomicFile.WriteText(path, text);

    /// <summary>
    /// Version 2 holds everything the Markdown and HTML show (history records, training-run epochs and config,
    /// the full comparison), so <see cref="ReportReader"/> can render a report again without scoring.
    /// </summary>
    public const string JsonSchema = "pipeline.evaluation-report/3";

    public static string ToJson(EvaluationReport report) =>
        JsonSerializer.Serialize(ReportDocument.From(report), ReportDocument.JsonOptions);

    /// <summary>The summary (<see cref="ReportView.Summary"/>) as Markdown.</summary>
    public static string ToMarkdown(EvaluationReport report) => MarkdownWriter.Write(ReportSections.Build(report, ReportView.Summary));

    /// <summary>Everything (<see cref="ReportView.Full"/>) as one self-contained HTML page.</summary>
    public static string ToHtml(EvaluationReport report) => HtmlWriter.Write(ReportSections.Build(report, ReportView.Full));

    /// <summary>A fingerprint's (or a SHA-256's) first 12 characters, as reports and messages quote it.</summary>
    public static string Short(string fingerprint) => fingerprint.Length > 12 ? fingerprint[..12] : fingerprint.Length == 0 ? "unknown" : fingerprint;
}
