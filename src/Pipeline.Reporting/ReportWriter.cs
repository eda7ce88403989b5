using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Pipeline.Evaluation;
using Pipeline.Evaluation.History;
using Pipeline.Experiments;

namespace Pipeline.Reporting;

/// <summary>The files one report is written to.</summary>
public sealed record ReportFiles(string Json, string Markdown, string Html);

/// <summary>
/// Writes a report three ways: <c>report.json</c> (machine-readable, everything), <c>report.md</c>
/// (the summary, for a PR comment or a job summary) and <c>report.html</c> (self-contained: CSS and
/// SVG plots inline, one file to keep as an artifact).
/// </summary>
public static partial class ReportWriter
{
    /// <summary>Rows of the most-confused table a report of many classes (<see cref="Charts.IsCompact"/>) gets per model.</summary>
    private const int MostConfused = 15;

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

    private static string F(double v, string format) =>
        double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "–";

    private static string Pct(double fraction) => Charts.Pct(fraction);

    private static string Delta(ModelReport r) =>
        r.Comparison?.Top1DeltaPp is double d ? d.ToString("+0.00;-0.00;0.00", CultureInfo.InvariantCulture) + (r.Comparison.IsRegression ? " REGRESSION" : "")
        : r.Comparison is null ? "" : "first";

    private static string Gap(ModelReport r) =>
        r.Agreement is { } a ? a.GapPp.ToString("+0.00;-0.00;0.00", CultureInfo.InvariantCulture) + (a.Flagged ? " ⚠" : "") : "";

    private static string Top1(ModelReport r) => Pct(r.Evaluation.Metrics.Top1) + (r.Evaluation.Chance.AboveChance ? "" : " ⚠ chance");

    /// <summary>The comparison table's columns, shared by Markdown and HTML: what a reader compares models by.</summary>
    private static readonly (string Header, Func<ModelReport, string> Cell)[] SummaryColumns =
    [
        ("model", r => r.Evaluation.ModelName),
        ("zero-init", r => r.Evaluation.Metadata.ZeroInitLast ? "yes" : "no"),
        ("precision", r => r.Evaluation.Metadata.Quantization is { Length: > 0 } q ? q.Split(' ')[0] : "fp32"),
        ("epochs", r => r.Evaluation.Metadata.Epochs.ToString(CultureInfo.InvariantCulture)),
        ("seed", r => r.Evaluation.Metadata.Seed.ToString(CultureInfo.InvariantCulture)),
        ("top-1 %", Top1),
        ("top-5 %", r => Pct(r.Evaluation.Metrics.Top5)),
        ("trainer top-1 %", r => r.Agreement is { } a ? Pct(a.TrainerTop1) : "–"),
        ("gap pp", Gap),
        ("Δ top-1 vs baseline pp", Delta),
        ("images/s", r => F(r.Evaluation.ImagesPerSecond, "0.0")),
    ];

    /// <summary>The first columns (model … seed) are text, left-aligned; the rest are numbers.</summary>
    private const int TextColumns = 5;

    /// <summary>Columns rarely read, in a second table (HTML: folded away) so the comparison fits a laptop window.</summary>
    private static readonly (string Header, Func<ModelReport, string> Cell)[] DetailColumns =
    [
        ("model", r => r.Evaluation.ModelName),
        ("architecture", r => r.Evaluation.Metadata.Architecture),
        ("flavour", r => r.Evaluation.Metadata.Flavour),
        ("head", r => r.Evaluation.Metadata.Head),
        ("recipe", r => r.Evaluation.Metadata.Recipe),
        ("macro acc %", r => Pct(r.Evaluation.Metrics.MacroAccuracy)),
        ("log-loss", r => F(r.Evaluation.Metrics.LogLoss, "0.000")),
        ("log-loss red.", r => F(r.Evaluation.Metrics.LogLossReduction, "0.000")),
        ("wall s", r => F(r.Evaluation.WallSeconds, "0.0")),
        ("file", r => DisplayPath.Of(r.Evaluation.ModelPath)),
    ];

    private static void AppendTable(StringBuilder md, EvaluationReport report, (string Header, Func<ModelReport, string> Cell)[] columns, int textColumns)
    {
        md.AppendLine("| " + string.Join(" | ", columns.Select(c => c.Header)) + " |");
        md.AppendLine("|" + string.Concat(columns.Select((c, i) => i < textColumns ? ":---|" : "---:|")));
        foreach (var r in report.Models)
            md.AppendLine("| " + string.Join(" | ", columns.Select(c => c.Cell(r).Replace("|", "\\|"))) + " |");
        md.AppendLine();
    }

    public static string ToMarkdown(EvaluationReport report)
    {
        var run = report.Run;
        var md = new StringBuilder();
        md.AppendLine($"# Evaluation of {report.Models.Count} model(s) on {run.SetName}");
        md.AppendLine();
        if (report.Answer.Count > 0)
        {
            md.AppendLine("## The answer");
            md.AppendLine();
            foreach (string line in report.Answer)
                md.AppendLine(line);
            md.AppendLine();
        }
        md.AppendLine($"- Run `{run.RunId}`, {run.StartedUtc.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC, project {run.ProjectVersion}");
        md.AppendLine($"- {run.Examples} images, examples fingerprint `{Short(run.ExamplesFingerprint)}`, dataset fingerprint `{Short(run.DatasetFingerprint)}`");
        md.AppendLine($"- Device: {string.Join("; ", run.Models.Select(m => m.Device).Distinct())}");
        md.AppendLine($"- History: {(report.HistoryPath is null ? "not kept" : $"`{report.HistoryPath}`, regression = top-1 drop over {report.RegressionThresholdPp:0.##} pp")}");
        md.AppendLine();
        AppendTable(md, report, SummaryColumns, TextColumns);
        var atChance = report.AtChance.ToArray();
        if (atChance.Length > 0 || run.DataWarnings.Count > 0)
        {
            md.AppendLine("## Warnings");
            md.AppendLine();
            foreach (var r in atChance)
                md.AppendLine("- " + r.Evaluation.Chance.Warning(r.Evaluation.ModelName));
            foreach (string warning in run.DataWarnings)
                md.AppendLine("- Data: " + warning);
            md.AppendLine();
        }

        var regressions = report.Regressions.ToArray();
        if (regressions.Length > 0)
        {
            md.AppendLine("## Regressions");
            md.AppendLine();
            foreach (var r in regressions)
            {
                var c = r.Comparison!;
                md.AppendLine($"- **{r.Evaluation.ModelName}**: top-1 {Pct(c.Baseline!.Top1)} % → {Pct(c.Current.Top1)} % ({c.Top1DeltaPp:+0.00;-0.00} pp) against " +
                              $"its {c.BaselineKind} record of {c.Baseline.TimestampUtc.UtcDateTime:yyyy-MM-dd HH:mm} UTC; " +
                              (c.ModelChanged ? "the model file changed (retrained or re-exported)." : "same model file: the evaluation changed (code, packages, device or data)."));
            }
            md.AppendLine();
        }

        md.AppendLine("## Agreement with the trainer");
        md.AppendLine();
        if (report.Models.All(r => r.Agreement is null))
            md.AppendLine("No model states its trainer's val top-1, and no training run was found: nothing to compare.");
        foreach (var r in report.Models.Where(r => r.Agreement is not null))
            md.AppendLine($"- {r.Evaluation.ModelName}: ML.NET {Pct(r.Agreement!.MlNetTop1)} % vs trainer {Pct(r.Agreement.TrainerTop1)} % ({r.Agreement.GapPp:+0.00;-0.00;0.00} pp). {r.Agreement.Note}");
        md.AppendLine();

        md.AppendLine("## Per-class recall (%)");
        md.AppendLine();
        var classes = report.Models[0].Evaluation.Metrics.PerClass;
        md.AppendLine("| class | " + string.Join(" | ", report.Models.Select(r => r.Evaluation.ModelName)) + " |");
        md.AppendLine("|---|" + string.Concat(report.Models.Select(_ => "---:|")));
        foreach (var c in classes)
        {
            md.AppendLine($"| {c.Name} | " + string.Join(" | ", report.Models.Select(r =>
                Pct(r.Evaluation.Metrics.PerClass.FirstOrDefault(x => x.Id == c.Id)?.Recall ?? double.NaN))) + " |");
        }
        md.AppendLine();
        if (Charts.IsCompact(classes.Count))
        {
            md.AppendLine("## Most confused classes");
            md.AppendLine();
            md.AppendLine("| model | true class | predicted as | images | share of the true class % |");
            md.AppendLine("|---|---|---|---:|---:|");
            foreach (var r in report.Models)
            {
                foreach (var c in r.Evaluation.Metrics.TopConfusions(MostConfused))
                    md.AppendLine($"| {r.Evaluation.ModelName} | {c.True.Name} | {c.Predicted.Name} | {c.Images} | {Pct(c.ShareOfTrue)} |");
            }
            md.AppendLine();
        }
        md.AppendLine("## Training runs");
        md.AppendLine();
        foreach (var r in report.Models)
            md.AppendLine($"- {r.Evaluation.ModelName}: {r.TrainingRunNote}");
        md.AppendLine();
        var trends = ModelTrend.Of(report.History);
        if (trends.Count > 0)
        {
            md.AppendLine("## History");
            md.AppendLine();
            md.AppendLine("| model | records | first top-1 % | latest | change pp | best | latest below best pp |");
            md.AppendLine("|:---|---:|---:|---:|---:|---:|---:|");
            foreach (var t in trends)
                md.AppendLine($"| {t.ModelName} | {t.Records.Count} | {Pct(t.First.Top1)} | {Pct(t.Latest.Top1)} | {F(t.ChangePp, "+0.00;-0.00;0.00")} | {Pct(t.Best.Top1)} | {F(t.BelowBestPp, "0.00")} |");
            md.AppendLine();
        }
        md.AppendLine("## Details");
        md.AppendLine();
        AppendTable(md, report, DetailColumns, 4);
        md.AppendLine($"Preprocessing: {report.Models[0].Evaluation.Preprocessing}.");
        md.AppendLine("The HTML report next to this file has the confusion matrices, per-class bars and learning curves.");
        return md.ToString();
    }

    /// <summary>
    /// One curve per training run: an int8 copy and its float model share the run, so the run is drawn once, named
    /// after the run (not after whichever copy came first).
    /// </summary>
    private static (string Label, TrainingRun Run)[] CurveRuns(EvaluationReport report) =>
        report.Models.Where(r => r.TrainingRun is { Epochs.Count: > 0 })
            .GroupBy(r => r.TrainingRun!.Folder)
            .Select(g => (g.First().TrainingRun!.Name, g.First().TrainingRun!))
            .ToArray();

    [System.Text.RegularExpressions.GeneratedRegex(@"\*\*(.+?)\*\*")]
    private static partial System.Text.RegularExpressions.Regex BoldMarkdown();

    /// <summary>Markdown's **bold** as HTML, in text already HTML-encoded.</summary>
    private static string Strong(string encoded) => BoldMarkdown().Replace(encoded, "<strong>$1</strong>");

    internal static string Short(string fingerprint) => fingerprint.Length > 12 ? fingerprint[..12] : fingerprint.Length == 0 ? "unknown" : fingerprint;

    private static string H(string text) => WebUtility.HtmlEncode(text);

    public static string ToHtml(EvaluationReport report)
    {
        var run = report.Run;
        var html = new StringBuilder();
        html.Append($$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <title>Evaluation: {{H(run.SetName)}}, {{run.StartedUtc.UtcDateTime:yyyy-MM-dd HH:mm}} UTC</title>
            <style>
            body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1200px;padding:0 1rem;color:#1b1f24}
            h1{font-size:1.5rem;margin-bottom:.2rem} h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem}
            .meta{color:#57606a;overflow-wrap:anywhere} table{border-collapse:collapse;margin:.6rem 0;font-variant-numeric:tabular-nums}
            th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:right;white-space:nowrap} th{background:#f6f8fa}
            td.l,th.l{text-align:left} tr.regression td{background:#ffebe9} td.flag{background:#fff8c5}
            .badge{display:inline-block;border-radius:1em;padding:0 .6em;font-size:.85em;font-weight:600}
            .bad{background:#cf222e;color:#fff} .warn{background:#bf8700;color:#fff} .ok{background:#1a7f37;color:#fff}
            .plots{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-start} .plots svg{border:1px solid #eaeef2;background:#fff;max-width:100%;height:auto}
            .wide{overflow-x:auto;max-width:100%} .wide table{font-size:.85em} .wide th{white-space:normal}
            .note{max-width:60rem} code{background:#f6f8fa;padding:0 .25em;border-radius:3px}
            </style></head><body>
            <h1>Evaluation of {{report.Models.Count}} model(s) on {{H(run.SetName)}}</h1>
            <p class="meta">Run <code>{{H(run.RunId)}}</code> · {{run.StartedUtc.UtcDateTime:yyyy-MM-dd HH:mm:ss}} UTC · project {{H(run.ProjectVersion)}} ·
            {{run.Examples}} images · examples <code>{{H(Short(run.ExamplesFingerprint))}}</code> · dataset <code>{{H(Short(run.DatasetFingerprint))}}</code><br>
            Device: <strong>{{H(string.Join("; ", run.Models.Select(m => m.Device).Distinct()))}}</strong> ·
            History: {{(report.HistoryPath is null ? "not kept" : $"<code>{H(report.HistoryPath)}</code>, regression = top-1 drop over {report.RegressionThresholdPp:0.##} pp")}}</p>
            """);

        int regressions = report.Regressions.Count();
        int flagged = report.Models.Count(r => r.Agreement?.Flagged == true);
        var atChance = report.AtChance.ToArray();
        html.Append("<p>");
        html.Append(regressions > 0 ? $"<span class=\"badge bad\">{regressions} regression(s)</span> " : report.HistoryPath is null ? "" : "<span class=\"badge ok\">no regression</span> ");
        html.Append(atChance.Length > 0 ? $"<span class=\"badge warn\">{atChance.Length} model(s) at chance level: learned nothing usable</span> " : "");
        html.Append(flagged > 0 ? $"<span class=\"badge warn\">{flagged} model(s) disagree with their trainer</span>" : "");
        html.Append(run.DataWarnings.Count > 0 ? $"<span class=\"badge warn\">{run.DataWarnings.Count} data warning(s)</span>" : "");
        html.AppendLine("</p>");
        foreach (var r in atChance)
            html.AppendLine($"<p class=\"note\"><span class=\"badge warn\">at chance</span> {H(r.Evaluation.Chance.Warning(r.Evaluation.ModelName))}</p>");
        foreach (string warning in run.DataWarnings)
            html.AppendLine($"<p class=\"note\"><span class=\"badge warn\">data</span> {H(warning)}</p>");

        var curves = CurveRuns(report);
        if (report.Answer.Count > 0)
        {
            html.AppendLine("<h2>The answer</h2>");
            foreach (string line in report.Answer)
                html.AppendLine($"<p class=\"note\">{Strong(H(line))}</p>");
            if (curves.Length > 0)
                html.AppendLine("<div class=\"plots\">" + Charts.ToSvg(Charts.LearningCurves(curves, e => e.ValTop1, "Val top-1 per epoch (trainer)", "val top-1 (%)", percent: true), 580, 360) + "</div>");
        }

        // One column per SummaryColumns entry: on a narrow window the table scrolls inside its box, not the whole page.
        html.AppendLine("<h2>Comparison</h2><div class=\"wide\"><table><tr>");
        for (int i = 0; i < SummaryColumns.Length; i++)
            html.Append($"<th{(i < TextColumns ? " class=\"l\"" : "")}>{H(SummaryColumns[i].Header)}</th>");
        html.AppendLine("</tr>");
        foreach (var r in report.Models)
        {
            html.Append(r.Comparison?.IsRegression == true ? "<tr class=\"regression\">" : "<tr>");
            for (int i = 0; i < SummaryColumns.Length; i++)
            {
                var (header, cell) = SummaryColumns[i];
                bool flag = (header == "gap pp" && r.Agreement?.Flagged == true) || (header == "top-1 %" && !r.Evaluation.Chance.AboveChance);
                string cls = i < TextColumns ? " class=\"l\"" : flag ? " class=\"flag\"" : "";
                html.Append($"<td{cls}>{H(cell(r))}</td>");
            }
            html.AppendLine("</tr>");
        }
        html.AppendLine("</table></div>");
        html.AppendLine("<details><summary>More columns (flavour, head, recipe, macro accuracy, log-loss, time, file)</summary><div class=\"wide\"><table><tr>");
        html.Append(string.Concat(DetailColumns.Select((c, i) => $"<th{(i < 4 || i == DetailColumns.Length - 1 ? " class=\"l\"" : "")}>{H(c.Header)}</th>")));
        html.AppendLine("</tr>");
        foreach (var r in report.Models)
            html.AppendLine("<tr>" + string.Concat(DetailColumns.Select((c, i) => $"<td{(i < 4 || i == DetailColumns.Length - 1 ? " class=\"l\"" : "")}>{H(c.Cell(r))}</td>")) + "</tr>");
        html.AppendLine("</table></div></details>");
        html.AppendLine($"<p class=\"meta\">Preprocessing: {H(report.Models[0].Evaluation.Preprocessing)}.</p>");

        if (report.Models.Any(r => r.Agreement is not null))
        {
            html.AppendLine("<h2>Agreement with the trainer</h2><ul>");
            foreach (var r in report.Models.Where(r => r.Agreement is not null))
            {
                var a = r.Agreement!;
                // "agrees" is about agreement only: a model at chance agrees with a trainer that learned nothing, and says so beside it.
                html.AppendLine($"<li class=\"note\"><strong>{H(r.Evaluation.ModelName)}</strong>: ML.NET {Pct(a.MlNetTop1)} % vs trainer {Pct(a.TrainerTop1)} % " +
                                $"({a.GapPp:+0.00;-0.00;0.00} pp) {(a.Flagged ? "<span class=\"badge warn\">gap</span>" : "<span class=\"badge ok\">agrees</span>")}" +
                                $"{(r.Evaluation.Chance.AboveChance ? "" : " <span class=\"badge warn\">at chance</span>")}<br>{H(a.Note)}</li>");
            }
            html.AppendLine("</ul>");
        }

        html.AppendLine("<h2>Learning curves</h2>");
        if (curves.Length > 0)
        {
            html.AppendLine("<div class=\"plots\">");
            if (report.Answer.Count == 0)
                html.AppendLine(Charts.ToSvg(Charts.LearningCurves(curves, e => e.ValTop1, "Val top-1 per epoch (trainer)", "val top-1 (%)", percent: true), 580, 360));
            html.AppendLine(Charts.ToSvg(Charts.LossCurves(curves), 580, 360));
            html.AppendLine("</div>");
            // Why the curves part: how far each block's residual branch adds to its skip path, from init on.
            var probed = curves.Where(c => c.Run.Dynamics.Count > 0).ToArray();
            if (probed.Length > 0)
            {
                html.AppendLine("<h2>Residual branches</h2><p class=\"note\">Per block, ‖branch output‖ / ‖shortcut output‖ on 40 fixed val images " +
                                "(0: the block is the identity, as zero-init makes every block at initialisation), at init, in the first epoch and after each epoch.</p><div class=\"plots\">");
                double yMax = Results.ResultsPage.ResidualAxisMax(probed.Select(c => c.Run.Dynamics));
                foreach (var (label, trainingRun) in probed)
                    html.AppendLine(Charts.ToSvg(Charts.ResidualContributions([trainingRun.Dynamics], label, yMax), 580, 340));
                html.AppendLine("</div>");
            }
        }
        html.AppendLine("<ul class=\"meta\">");
        foreach (var r in report.Models)
            html.AppendLine($"<li>{H(r.Evaluation.ModelName)}: {H(r.TrainingRunNote)}</li>");
        html.AppendLine("</ul>");

        var trends = ModelTrend.Of(report.History);
        if (trends.Count > 0)
        {
            html.AppendLine("<h2>History</h2>");
            html.AppendLine("<table><tr><th class=\"l\">model</th><th>records</th><th>first top-1 %</th><th>latest</th><th>change pp</th><th>best</th><th>latest below best pp</th></tr>");
            foreach (var t in trends)
                html.AppendLine($"<tr><td class=\"l\">{H(t.ModelName)}</td><td>{t.Records.Count}</td><td>{Pct(t.First.Top1)}</td><td>{Pct(t.Latest.Top1)}</td><td>{F(t.ChangePp, "+0.00;-0.00;0.00")}</td><td>{Pct(t.Best.Top1)}</td><td{(t.BelowBestPp > report.RegressionThresholdPp ? " class=\"flag\"" : "")}>{F(t.BelowBestPp, "0.00")}</td></tr>");
            html.AppendLine("</table>");
            if (trends.Any(t => t.Records.Count > 1))
                html.AppendLine("<div class=\"plots\">" + Charts.ToSvg(Charts.HistoryTrend(report.History), 900, 360) + "</div>");
            html.AppendLine("<p class=\"meta\">Every record: <code>pipeline history --history PATH [--csv FILE]</code>.</p>");
        }

        foreach (var r in report.Models)
        {
            var m = r.Evaluation;
            html.AppendLine($"<h2>{H(m.ModelName)}</h2>");
            html.AppendLine($"<p class=\"meta\"><code>{H(DisplayPath.Of(m.ModelPath))}</code> · sha256 <code>{H(Short(m.ModelSha256))}</code> · {H(m.Device)} · " +
                            $"{F(m.ImagesPerSecond, "0.0")} images/s · metadata {(m.MetadataFromFile ? "from the file" : "given explicitly")}</p>");
            html.AppendLine("<div class=\"plots\">");
            int classes = m.Metrics.PerClass.Count;
            html.AppendLine(Charts.ToSvg(Charts.ConfusionHeatMap(m), Charts.ConfusionHeatMapWidth(classes), Charts.ClassPlotHeight(classes)));
            html.AppendLine(Charts.ToSvg(Charts.PerClassBars(m), 520, Charts.ClassPlotHeight(classes)));
            html.AppendLine("</div>");
            if (Charts.IsCompact(classes))
            {
                html.AppendLine($"<table><tr><th class=\"l\">true class</th><th class=\"l\">predicted as</th><th>images</th><th>share of the true class %</th></tr>");
                foreach (var c in m.Metrics.TopConfusions(MostConfused))
                    html.AppendLine($"<tr><td class=\"l\">{H(c.True.Name)}</td><td class=\"l\">{H(c.Predicted.Name)}</td><td>{c.Images}</td><td>{Pct(c.ShareOfTrue)}</td></tr>");
                html.AppendLine("</table>");
            }
            html.AppendLine("<table><tr><th class=\"l\">class</th><th class=\"l\">id</th><th>images</th><th>precision %</th><th>recall %</th><th>log-loss</th></tr>");
            foreach (var c in m.Metrics.PerClass)
                html.AppendLine($"<tr><td class=\"l\">{H(c.Name)}</td><td class=\"l\">{H(c.Id)}</td><td>{c.Support}</td><td>{Pct(c.Precision)}</td><td>{Pct(c.Recall)}</td><td>{F(c.LogLoss, "0.000")}</td></tr>");
            html.AppendLine("</table>");
        }
        html.AppendLine($"<p class=\"meta\">Written by Pipeline.Reporting {H(ProjectVersion.Current)}; report.json next to this file has every number.</p>");
        html.AppendLine("</body></html>");
        return html.ToString();
    }
}
