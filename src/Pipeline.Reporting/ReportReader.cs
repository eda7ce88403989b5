using System.Text.Json;
using Pipeline.Evaluation;

namespace Pipeline.Reporting;

/// <summary>
/// Reads a <c>report.json</c> that <see cref="ReportWriter"/> wrote back into an <see cref="EvaluationReport"/>, so
/// a report can be rendered again (a newer tool, longer training runs) or combined with others without scoring.
/// </summary>
public static class ReportReader
{
    /// <summary>The report.json a path names: the file itself, or the one inside a report folder.</summary>
    public static string Locate(string fileOrFolder) =>
        Directory.Exists(fileOrFolder) ? Path.Combine(fileOrFolder, ReportWriter.JsonFileName) : fileOrFolder;

    /// <exception cref="EvaluationException">The file is missing, not JSON, of another schema or incomplete; the message names it and the fix.</exception>
    public static EvaluationReport Load(string fileOrFolder)
    {
        string path = Locate(fileOrFolder);
        if (!File.Exists(path))
            throw new EvaluationException(path, "no such report. Give a report.json, or the folder `pipeline evaluate` wrote it to.");
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllText(path));
            // The schema first: an older file fails on its version, not on the first field that moved.
            string? schema = json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("schema", out var s)
                && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
            if (schema is null)
                throw new EvaluationException(path, $"not an evaluation report (it has no \"schema\": \"{ReportWriter.JsonSchema}\"). Give a report.json that `pipeline evaluate` wrote.");
            if (schema != ReportWriter.JsonSchema)
                throw new EvaluationException(path, $"the report's schema is '{schema}'; this version of the tool reads '{ReportWriter.JsonSchema}'. " +
                                                    "Re-run `pipeline evaluate` on its models to write it again.");
            var document = json.Deserialize<ReportDocument>(ReportDocument.JsonOptions)!;
            if (document.Models.Count == 0)
                throw new JsonException("'models' is empty.");
            return document.ToReport();
        }
        catch (JsonException ex)
        {
            // A missing field's message names the field but not where it is missing.
            string where = ex.Path is { } at && !ex.Message.Contains(at, StringComparison.Ordinal) ? $" Path: {at}." : "";
            throw new EvaluationException(path, $"not a readable evaluation report: {ex.Message}{where} Re-run `pipeline evaluate` to write it again.", ex);
        }
    }

    /// <summary>Loads every report and combines them into one (<see cref="EvaluationReport.Combine"/>); one report is returned as it is.</summary>
    /// <exception cref="EvaluationException">A report cannot be read, or two were evaluated on different examples.</exception>
    public static EvaluationReport LoadCombined(IReadOnlyList<string> filesOrFolders) =>
        EvaluationReport.Combine(filesOrFolders.Select(p => (Locate(p), Load(p))).ToArray());
}
