using System.Globalization;
using Pipeline.Evaluation.History;
using Pipeline.Experiments;
using Pipeline.Reporting.Documents;
using Pipeline.Reporting.Results;
using static Pipeline.NumberText;

namespace Pipeline.Reporting;

/// <summary>How much of a report a document holds.</summary>
public enum ReportView
{
    /// <summary>The summary (report.md): for a pull-request comment or a job summary; no plots.</summary>
    Summary,

    /// <summary>Everything (report.html): the summary's sections with their plots, then each model's own section.</summary>
    Full,
}

/// <summary>
/// An evaluation report as a <see cref="Document"/>, each section built once here, in the order a reader wants them:
/// the answer, the run, the comparison, what needs attention (warnings, regressions, disagreement with the trainer),
/// per-class recall, the training runs, the history, the details; in the full view each model's confusion matrix,
/// per-class bars and table follow.
/// </summary>
public static class ReportSections
{
    public static Document Build(EvaluationReport report, ReportView view)
    {
        var run = report.Run;
        var curves = CurveRuns(report);
        var blocks = new List<Block> { new Heading(1, $"Evaluation of {report.Models.Count} model(s) on {run.SetName}") };
        if (view == ReportView.Full && Status(report) is { } status)
            blocks.Add(status);
        blocks.AddRange(Answer(report, view, curves));
        blocks.Add(RunFacts(report));
        blocks.Add(Table(report, SummaryColumns));
        blocks.AddRange(Warnings(report));
        blocks.AddRange(Regressions(report));
        blocks.AddRange(Agreement(report));
        blocks.AddRange(PerClassRecall(report));
        blocks.AddRange(MostConfused(report));
        blocks.AddRange(TrainingRuns(report, view, curves));
        blocks.AddRange(History(report, view));
        blocks.AddRange(Details(report, view));
        if (view == ReportView.Full)
        {
            blocks.AddRange(report.Models.SelectMany(Model));
            blocks.Add(new Paragraph($"Written by Pipeline.Reporting {ProjectVersion.Current}; report.json next to this file has every number.", TextRole.Aside));
        }
        return new Document($"Evaluation: {run.SetName}, {Utc(run.StartedUtc, "yyyy-MM-dd HH:mm")} UTC", blocks);
    }

    /// <summary>What needs a look, counted, at the top of a long page (the sections below say which and why); null when nothing to say.</summary>
    private static Paragraph? Status(EvaluationReport report)
    {
        int regressions = report.Regressions.Count(), atChance = report.AtChance.Count(),
            disagree = report.Models.Count(r => r.Agreement?.Flagged == true), dataWarnings = report.Run.DataWarnings.Count;
        string?[] parts =
        [
            regressions > 0 ? $"**{regressions} regression(s)**" : report.HistoryPath is null ? null : "no regression",
            atChance > 0 ? $"**{atChance} model(s) at chance level: learned nothing usable**" : null,
            disagree > 0 ? $"**{disagree} model(s) disagree with their trainer**" : null,
            dataWarnings > 0 ? $"**{dataWarnings} data warning(s)**" : null,
        ];
        var shown = parts.OfType<string>().ToArray();
        return shown.Length == 0 ? null : new Paragraph(string.Join(" · ", shown));
    }

    /// <summary>What the experiment found (Markdown lines, as the console printed them), with the val top-1 curves in the full view.</summary>
    private static IEnumerable<Block> Answer(EvaluationReport report, ReportView view, IReadOnlyList<(string Label, TrainingRun Run)> curves)
    {
        if (report.Answer.Count == 0)
            yield break;
        yield return new Heading(2, "The answer");
        foreach (var block in MarkdownLines.ToBlocks(report.Answer))
            yield return block;
        if (view == ReportView.Full && curves.Count > 0)
            yield return new Figures([ValTop1Curves(curves)]);
    }

    private static Block RunFacts(EvaluationReport report)
    {
        var run = report.Run;
        return new BulletList(
        [
            $"Run `{run.RunId}`, {Utc(run.StartedUtc, "yyyy-MM-dd HH:mm:ss")} UTC, project {run.ProjectVersion}",
            $"{run.Examples} images, examples fingerprint `{ReportWriter.Short(run.ExamplesFingerprint)}`, dataset fingerprint `{ReportWriter.Short(run.DatasetFingerprint)}`",
            $"Device: {string.Join("; ", run.Models.Select(m => m.Device).Distinct())}",
            $"History: {(report.HistoryPath is null ? "not kept" : $"`{report.HistoryPath}`, regression = top-1 drop over {Fixed(report.RegressionThresholdPp, "0.##")} pp")}",
        ], TextRole.Aside);
    }

    /// <summary>One column of a per-model table: its header and alignment, its cell, and when that cell needs a look.</summary>
    private sealed record ModelColumn(string Header, Align Align, Func<ModelReport, string> Text, Func<ModelReport, bool>? Flag = null);

    /// <summary>The comparison's columns: what a reader compares models by. Regressions' rows are highlighted.</summary>
    private static readonly ModelColumn[] SummaryColumns =
    [
        new("model", Align.Left, r => r.Evaluation.ModelName),
        new("zero-init", Align.Left, r => r.Evaluation.Metadata.ZeroInitLast ? "yes" : "no"),
        new("precision", Align.Left, r => r.Evaluation.Metadata.Quantization is { Length: > 0 } q ? q.Split(' ')[0] : "fp32"),
        new("epochs", Align.Left, r => r.Evaluation.Metadata.Epochs.ToString(CultureInfo.InvariantCulture)),
        new("seed", Align.Left, r => r.Evaluation.Metadata.Seed.ToString(CultureInfo.InvariantCulture)),
        new("top-1 %", Align.Right, r => Percent(r.Evaluation.Metrics.Top1) + (r.Evaluation.Chance.AboveChance ? "" : " ⚠ chance"), r => !r.Evaluation.Chance.AboveChance),
        new("top-5 %", Align.Right, r => Percent(r.Evaluation.Metrics.Top5)),
        new("trainer top-1 %", Align.Right, r => r.Agreement is { } a ? Percent(a.TrainerTop1) : Missing),
        new("gap pp", Align.Right, r => r.Agreement is { } a ? Signed(a.GapPp) + (a.Flagged ? " ⚠" : "") : "", r => r.Agreement?.Flagged == true),
        new("Δ top-1 vs baseline pp", Align.Right, r => r.Comparison?.Top1DeltaPp is double d ? Signed(d) + (r.Comparison.IsRegression ? " REGRESSION" : "")
            : r.Comparison is null ? "" : "first"),
        new("images/s", Align.Right, r => Fixed(r.Evaluation.ImagesPerSecond, "0.0")),
    ];

    /// <summary>Columns rarely read, in a table of their own at the end, so the comparison fits a laptop window.</summary>
    private static readonly ModelColumn[] DetailColumns =
    [
        new("model", Align.Left, r => r.Evaluation.ModelName),
        new("architecture", Align.Left, r => r.Evaluation.Metadata.Architecture),
        new("flavour", Align.Left, r => r.Evaluation.Metadata.Flavour),
        new("head", Align.Left, r => r.Evaluation.Metadata.Head),
        new("recipe", Align.Left, r => r.Evaluation.Metadata.Recipe),
        new("macro acc %", Align.Right, r => Percent(r.Evaluation.Metrics.MacroAccuracy)),
        new("log-loss", Align.Right, r => Fixed(r.Evaluation.Metrics.LogLoss, "0.000")),
        new("log-loss red.", Align.Right, r => Fixed(r.Evaluation.Metrics.LogLossReduction, "0.000")),
        new("wall s", Align.Right, r => Fixed(r.Evaluation.WallSeconds, "0.0")),
        new("file", Align.Left, r => DisplayPath.Of(r.Evaluation.ModelPath)),
    ];

    private static Table Table(EvaluationReport report, ModelColumn[] columns) => new(
        columns.Select(c => new Column(c.Header, c.Align)).ToArray(),
        report.Models.Select(r => new Row(
            columns.Select(c => new Cell(c.Text(r), c.Flag?.Invoke(r) == true)).ToArray(),
            Highlighted: r.Comparison?.IsRegression == true)).ToArray());

    private static IEnumerable<Block> Warnings(EvaluationReport report)
    {
        var warnings = report.AtChance.Select(r => r.Evaluation.Chance.Warning(r.Evaluation.ModelName))
            .Concat(report.Run.DataWarnings.Select(w => "Data: " + w)).ToArray();
        if (warnings.Length == 0)
            return [];
        return [new Heading(2, "Warnings"), new BulletList(warnings)];
    }

    private static IEnumerable<Block> Regressions(EvaluationReport report)
    {
        var regressions = report.Regressions.Select(r =>
        {
            var c = r.Comparison!;
            return $"**{r.Evaluation.ModelName}**: top-1 {Percent(c.Baseline!.Top1)} % → {Percent(c.Current.Top1)} % ({Signed(c.Top1DeltaPp ?? double.NaN)} pp) against " +
                   $"its {c.BaselineKind} record of {Utc(c.Baseline.TimestampUtc, "yyyy-MM-dd HH:mm")} UTC; " +
                   (c.ModelChanged ? "the model file changed (retrained or re-exported)." : "same model file: the evaluation changed (code, packages, device or data).");
        }).ToArray();
        if (regressions.Length == 0)
            return [];
        return [new Heading(2, "Regressions"), new BulletList(regressions)];
    }

    private static IEnumerable<Block> Agreement(EvaluationReport report)
    {
        yield return new Heading(2, "Agreement with the trainer");
        var checkedModels = report.Models.Where(r => r.Agreement is not null).ToArray();
        yield return checkedModels.Length == 0
            ? new Paragraph("No model states its trainer's val top-1, and no training run was found: nothing to compare.")
            : new BulletList(checkedModels.Select(r =>
                $"{r.Evaluation.ModelName}: ML.NET {Percent(r.Agreement!.MlNetTop1)} % vs trainer {Percent(r.Agreement.TrainerTop1)} % ({Signed(r.Agreement.GapPp)} pp). {r.Agreement.Note}").ToArray());
    }

    private static IEnumerable<Block> PerClassRecall(EvaluationReport report)
    {
        yield return new Heading(2, "Per-class recall (%)");
        yield return new Table(
            [new Column("class"), .. report.Models.Select(r => new Column(r.Evaluation.ModelName, Align.Right))],
            report.Models[0].Evaluation.Metrics.PerClass.Select(c => new Row(
                [c.Name, .. report.Models.Select(r => (Cell)Percent(r.Evaluation.Metrics.PerClass.FirstOrDefault(x => x.Id == c.Id)?.Recall ?? double.NaN))])).ToArray());
    }

    /// <summary>Rows of the most-confused table a report of many classes (<see cref="Charts.IsCompact"/>) gets per model.</summary>
    private const int MostConfusedRows = 15;

    /// <summary>
    /// With many classes (<see cref="Charts.IsCompact"/>) the confusion matrix has no cell labels: each model's most
    /// confused class pairs are listed instead, in both views.
    /// </summary>
    private static IEnumerable<Block> MostConfused(EvaluationReport report)
    {
        if (!Charts.IsCompact(report.Models[0].Evaluation.Metrics.PerClass.Count))
            yield break;
        yield return new Heading(2, "Most confused classes");
        yield return new Table(
            [new("model"), new("true class"), new("predicted as"), new("images", Align.Right), new("share of the true class %", Align.Right)],
            report.Models.SelectMany(r => r.Evaluation.Metrics.TopConfusions(MostConfusedRows).Select(c => new Row(
                [r.Evaluation.ModelName, c.True.Name, c.Predicted.Name, Fixed(c.Images, "0"), Percent(c.ShareOfTrue)]))).ToArray());
    }

    /// <summary>Where each model's training run was found; in the full view its learning curves and residual branches.</summary>
    private static IEnumerable<Block> TrainingRuns(EvaluationReport report, ReportView view, IReadOnlyList<(string Label, TrainingRun Run)> curves)
    {
        yield return new Heading(2, "Training runs");
        yield return new BulletList(report.Models.Select(r => $"{r.Evaluation.ModelName}: {r.TrainingRunNote}").ToArray());
        if (view != ReportView.Full || curves.Count == 0)
            yield break;
        var loss = new Figure("loss per epoch", Charts.ToSvg(Charts.LossCurves(curves), 580, 360));
        yield return new Figures(report.Answer.Count == 0 ? [ValTop1Curves(curves), loss] : [loss]);
        // Why the curves part: how far each block's residual branch adds to its skip path, from init on.
        var probed = curves.Where(c => c.Run.Dynamics.Count > 0).ToArray();
        if (probed.Length == 0)
            yield break;
        yield return new Heading(2, "Residual branches");
        yield return new Paragraph("Per block, ‖branch output‖ / ‖shortcut output‖ on 40 fixed val images " +
                                   "(0: the block is the identity, as zero-init makes every block at initialisation), at init, in the first epoch and after each epoch.");
        double yMax = DynamicsTable.AxisMax(probed.Select(c => c.Run.Dynamics));
        yield return new Figures(probed.Select(p => new Figure($"residual contribution per block, {p.Label}",
            Charts.ToSvg(Charts.ResidualContributions([p.Run.Dynamics], p.Label, yMax), 580, 340))).ToArray());
    }

    private static IEnumerable<Block> History(EvaluationReport report, ReportView view)
    {
        var trends = ModelTrend.Of(report.History);
        if (trends.Count == 0)
            yield break;
        yield return new Heading(2, "History");
        yield return new Table(
            [new("model", Align.Left), new("records", Align.Right), new("first top-1 %", Align.Right), new("latest", Align.Right),
             new("change pp", Align.Right), new("best", Align.Right), new("latest below best pp", Align.Right)],
            trends.Select(t => new Row(
            [
                t.ModelName, t.Records.Count.ToString(CultureInfo.InvariantCulture), Percent(t.First.Top1), Percent(t.Latest.Top1), Signed(t.ChangePp),
                Percent(t.Best.Top1), new Cell(Fixed(t.BelowBestPp), t.BelowBestPp > report.RegressionThresholdPp),
            ])).ToArray());
        if (view != ReportView.Full)
            yield break;
        if (trends.Any(t => t.Records.Count > 1))
            yield return new Figures([new Figure("top-1 over evaluation runs", Charts.ToSvg(Charts.HistoryTrend(report.History), 900, 360))]);
        yield return new Paragraph("Every record: `pipeline history --history PATH [--csv FILE]`.", TextRole.Aside);
    }

    private static IEnumerable<Block> Details(EvaluationReport report, ReportView view)
    {
        yield return new Heading(2, "Details");
        yield return Table(report, DetailColumns);
        string preprocessing = $"Preprocessing: {report.Models[0].Evaluation.Preprocessing}.";
        yield return view == ReportView.Full
            ? new Paragraph(preprocessing, TextRole.Aside)
            : new Paragraph([preprocessing, "The HTML report next to this file has the confusion matrices, per-class bars and learning curves."]);
    }

    /// <summary>One model's own section (full view): its file, its confusion matrix and per-class bars, its per-class table.</summary>
    private static IEnumerable<Block> Model(ModelReport r)
    {
        var m = r.Evaluation;
        int classes = m.Metrics.PerClass.Count;
        yield return new Heading(2, m.ModelName);
        yield return new Paragraph($"`{DisplayPath.Of(m.ModelPath)}` · sha256 `{ReportWriter.Short(m.ModelSha256)}` · {m.Device} · " +
                                   $"{Fixed(m.ImagesPerSecond, "0.0")} images/s · metadata {(m.MetadataFromFile ? "from the file" : "given explicitly")}", TextRole.Aside);
        yield return new Figures(
        [
            new Figure($"{m.ModelName}: confusion", Charts.ToSvg(Charts.ConfusionHeatMap(m), Charts.ConfusionHeatMapWidth(classes), Charts.ClassPlotHeight(classes))),
            new Figure($"{m.ModelName}: per-class precision and recall", Charts.ToSvg(Charts.PerClassBars(m), 520, Charts.ClassPlotHeight(classes))),
        ]);
        yield return new Table(
            [new("class", Align.Left), new("id", Align.Left), new("images", Align.Right), new("precision %", Align.Right), new("recall %", Align.Right), new("log-loss", Align.Right)],
            m.Metrics.PerClass.Select(c => new Row(
                [c.Name, c.Id, c.Support.ToString(CultureInfo.InvariantCulture), Percent(c.Precision), Percent(c.Recall), Fixed(c.LogLoss, "0.000")])).ToArray());
    }

    private static Figure ValTop1Curves(IReadOnlyList<(string Label, TrainingRun Run)> curves) =>
        new("val top-1 per epoch", Charts.ToSvg(Charts.LearningCurves(curves, e => e.ValTop1, "Val top-1 per epoch (trainer)", "val top-1 (%)", percent: true), 580, 360));

    /// <summary>
    /// One curve per training run: an int8 copy and its float model share the run, so the run is drawn once, named
    /// after the run (not after whichever copy came first).
    /// </summary>
    private static (string Label, TrainingRun Run)[] CurveRuns(EvaluationReport report) =>
        report.Models.Where(r => r.TrainingRun is { Epochs.Count: > 0 })
            .GroupBy(r => r.TrainingRun!.Folder)
            .Select(g => (g.First().TrainingRun!.Name, g.First().TrainingRun!))
            .ToArray();

    private static string Utc(DateTimeOffset time, string format) => time.UtcDateTime.ToString(format, CultureInfo.InvariantCulture);
}
