using System.Globalization;
using System.Text;

namespace Pipeline.Evaluation.History;

/// <summary>
/// One model's records on one set of examples, oldest first: where its top-1 started, where it is, its best, and how
/// far the latest is below that best. Records on other examples are another trend (their top-1s do not compare).
/// </summary>
public sealed record ModelTrend(string ModelName, string ExamplesFingerprint, IReadOnlyList<HistoryRecord> Records)
{
    public HistoryRecord First => Records[0];
    public HistoryRecord Latest => Records[^1];
    public HistoryRecord Best => Records.MaxBy(r => r.Top1)!;

    /// <summary>Latest minus first top-1, in percentage points.</summary>
    public double ChangePp => (Latest.Top1 - First.Top1) * 100;

    /// <summary>How far the latest top-1 is below the best, in percentage points (0 when the latest is the best).</summary>
    public double BelowBestPp => (Best.Top1 - Latest.Top1) * 100;

    /// <summary>The records grouped by model and examples, ordered by model name.</summary>
    public static IReadOnlyList<ModelTrend> Of(IEnumerable<HistoryRecord> records) =>
        records.GroupBy(r => (r.ModelName, r.ExamplesFingerprint))
            .Select(g => new ModelTrend(g.Key.ModelName, g.Key.ExamplesFingerprint, g.OrderBy(r => r.TimestampUtc).ThenBy(r => r.Id).ToArray()))
            .OrderBy(t => t.ModelName, StringComparer.Ordinal).ThenBy(t => t.First.TimestampUtc)
            .ToArray();

    /// <summary>Every record as CSV (RFC 4180, invariant culture, accuracies as fractions), for a spreadsheet or a plot elsewhere.</summary>
    public static string ToCsv(IEnumerable<HistoryRecord> records)
    {
        var csv = new StringBuilder("timestamp_utc,model,top1,top5,macro_accuracy,log_loss,examples,examples_fingerprint,model_sha256,device,project_version,run_id\n");
        foreach (var r in records.OrderBy(r => r.TimestampUtc).ThenBy(r => r.Id))
        {
            csv.AppendJoin(',', new[]
            {
                r.TimestampUtc.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture), r.ModelName,
                F(r.Top1), F(r.Top5), F(r.MacroAccuracy), F(r.LogLoss), r.Examples.ToString(CultureInfo.InvariantCulture),
                r.ExamplesFingerprint, r.ModelSha256, r.Device, r.ProjectVersion, r.RunId,
            }.Select(Quote));
            csv.Append('\n');
        }
        return csv.ToString();
    }

    private static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static string Quote(string field) =>
        field.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : field;
}
