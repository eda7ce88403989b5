using Pipeline.Evaluation;
using Pipeline.Evaluation.History;

namespace Pipeline.Reporting;

/// <summary>What one <c>evaluate</c> run does.</summary>
public sealed record EvaluationJobRequest
{
    public required IReadOnlyList<ModelToEvaluate> Models { get; init; }
    public required EvaluationSet Set { get; init; }
    /// <summary>Folder for report.json, report.md and report.html.</summary>
    public required string ReportDirectory { get; init; }
    /// <summary>The SQLite history to append to; null keeps none (and finds no regressions).</summary>
    public string? HistoryPath { get; init; }
    /// <summary>Where training-run folders named by the models' metadata (RunName) live.</summary>
    public string? RunsRoot { get; init; }
    /// <summary>Explicit training-run folders by model name (override RunName).</summary>
    public IReadOnlyDictionary<string, string>? RunFolders { get; init; }
    /// <summary>A top-1 drop beyond this, against the model's baseline (pinned, else its best record), is a regression.</summary>
    public double RegressionThresholdPp { get; init; } = 1.0;
    /// <summary>Exit with <see cref="EvaluationJob.RegressionExitCode"/> when a model regressed (for schedulers).</summary>
    public bool FailOnRegression { get; init; }
    public EvaluationOptions Options { get; init; } = new();
    /// <summary>What the experiment found, in Markdown lines, for the report to open with.</summary>
    public IReadOnlyList<string> Answer { get; init; } = [];
}

public sealed record EvaluationJobOutcome(EvaluationReport Report, ReportFiles Files, int ExitCode)
{
    public IReadOnlyList<ModelReport> Regressions => Report.Regressions.ToArray();
}

/// <summary>
/// The scheduled evaluation: check the history, the report folder and every model, score every model, then append
/// all their records to the history in one transaction, then write the reports. A bad input stops the run before
/// anything is scored or recorded.
/// </summary>
public static class EvaluationJob
{
    /// <summary>Exit code of a run that found a regression with <see cref="EvaluationJobRequest.FailOnRegression"/> set.</summary>
    public const int RegressionExitCode = 3;

    /// <exception cref="EvaluationException">An input is unusable; the history is untouched.</exception>
    public static EvaluationJobOutcome Run(EvaluationJobRequest request, TextWriter? log = null)
    {
        log ??= TextWriter.Null;
        // Where the results go is checked before anything is scored: minutes of scoring are never lost to a bad path.
        var history = request.HistoryPath is null ? null : EvaluationHistory.Open(request.HistoryPath);
        ReportWriter.CheckWritable(request.ReportDirectory);
        var evaluator = new ModelEvaluator(request.Options);
        var run = evaluator.EvaluateAll(request.Models, request.Set, m =>
        {
            log.WriteLine($"{m.ModelName}: top-1 {NumberText.Percent(m.Metrics.Top1)} %, top-5 {NumberText.Percent(m.Metrics.Top5)} %, " +
                          $"{NumberText.Fixed(m.ImagesPerSecond, "0.0")} images/s on {m.Device}");
            if (!m.Chance.AboveChance)
                log.WriteLine("WARNING " + m.Chance.Warning(m.ModelName));
        });

        IReadOnlyList<ModelComparison>? comparisons = null;
        IReadOnlyList<HistoryRecord>? records = null;
        if (history is not null)
        {
            comparisons = history.Append(run, request.RegressionThresholdPp);
            records = history.Records();
        }

        var scored = EvaluationReport.Create(run, comparisons, request.RunsRoot, request.RunFolders, request.HistoryPath,
            request.RegressionThresholdPp, records, request.Options.AgreementTolerancePp);
        var report = scored with { Answer = request.Answer };
        // The caller prints where the report went, after its own summary.
        var files = ReportWriter.Write(report, request.ReportDirectory);

        var regressions = report.Regressions.ToArray();
        foreach (var r in regressions)
            log.WriteLine($"REGRESSION {r.Evaluation.ModelName}: top-1 {NumberText.Signed(r.Comparison!.Top1DeltaPp ?? double.NaN)} pp vs its {r.Comparison.BaselineKind} record of {r.Comparison.Baseline!.TimestampUtc:u}");
        int exitCode = request.FailOnRegression && regressions.Length > 0 ? RegressionExitCode : 0;
        return new EvaluationJobOutcome(report, files, exitCode);
    }
}
