using Pipeline.Evaluation;
using Pipeline.Evaluation.History;

namespace Pipeline.Reporting;

/// <summary>One model's section of a report: its evaluation, its history comparison, its training run.</summary>
public sealed record ModelReport
{
    public required ModelEvaluation Evaluation { get; init; }
    /// <summary>Null when the run kept no history.</summary>
    public ModelComparison? Comparison { get; init; }
    public TrainingRun? TrainingRun { get; init; }
    /// <summary>Where the training run was found, or why there are no curves.</summary>
    public required string TrainingRunNote { get; init; }
    /// <summary>ML.NET's top-1 next to the trainer's (metadata's ValTop1, else the run's last epoch), quoting the trainer's preprocessing.</summary>
    public AgreementCheck? Agreement { get; init; }
}

/// <summary>Everything a report shows, gathered once; the JSON, Markdown and HTML writers only format it.</summary>
public sealed record EvaluationReport
{
    public required EvaluationRun Run { get; init; }
    public required IReadOnlyList<ModelReport> Models { get; init; }
    public string? HistoryPath { get; init; }
    public double RegressionThresholdPp { get; init; }
    /// <summary>The history's records on this run's examples, for the trend plot (empty without history).</summary>
    public IReadOnlyList<HistoryRecord> History { get; init; } = [];
    /// <summary>What the experiment behind these models found, in Markdown lines: the report opens with it (empty: none).</summary>
    public IReadOnlyList<string> Answer { get; init; } = [];

    /// <summary>Models whose top-1 is not clearly above chance: never shown as a success.</summary>
    public IEnumerable<ModelReport> AtChance => Models.Where(m => !m.Evaluation.Chance.AboveChance);

    public IEnumerable<ModelReport> Regressions => Models.Where(m => m.Comparison?.IsRegression == true);

    /// <param name="runFolders">Explicit training-run folders by model name, overriding the metadata's RunName.</param>
    public static EvaluationReport Create(
        EvaluationRun run,
        IReadOnlyList<ModelComparison>? comparisons = null,
        string? runsRoot = null,
        IReadOnlyDictionary<string, string>? runFolders = null,
        string? historyPath = null,
        double regressionThresholdPp = 1.0,
        IReadOnlyList<HistoryRecord>? history = null,
        double agreementTolerancePp = 1.0)
    {
        var models = run.Models.Select(m =>
        {
            string? folder = runFolders is not null && runFolders.TryGetValue(m.ModelName, out var f) ? f : null;
            var (trainingRun, note) = TrainingRun.Locate(m.Metadata, runsRoot, folder);
            var metadata = double.IsNaN(m.Metadata.ValTop1) && trainingRun is not null
                ? m.Metadata with { ValTop1 = trainingRun.FinalValTop1 }
                : m.Metadata;
            return new ModelReport
            {
                Evaluation = m,
                Comparison = comparisons?.FirstOrDefault(c => c.Current.ModelName == m.ModelName && c.Current.RunId == run.RunId),
                TrainingRun = trainingRun,
                TrainingRunNote = note,
                Agreement = AgreementCheck.Create(metadata, m.Metrics.Top1, run.SetName, run.Examples, run.DatasetFingerprint,
                    agreementTolerancePp, trainingRun?.PreprocessingSettings),
            };
        }).ToArray();
        return new EvaluationReport
        {
            Run = run,
            Models = models,
            HistoryPath = historyPath,
            RegressionThresholdPp = regressionThresholdPp,
            History = (history ?? []).Where(r => r.ExamplesFingerprint == run.ExamplesFingerprint).ToArray(),
        };
    }

    /// <summary>
    /// The learning curves read again from the training runs the models' metadata name (under <paramref name="runsRoot"/>),
    /// for a report re-rendered after its runs gained epochs. The agreement check stays as evaluated: it compares the
    /// scored model with what its trainer had measured then.
    /// </summary>
    public EvaluationReport WithTrainingRunsFrom(string runsRoot) => this with
    {
        Models = Models.Select(m =>
        {
            var (trainingRun, note) = TrainingRun.Locate(m.Evaluation.Metadata, runsRoot);
            return m with { TrainingRun = trainingRun, TrainingRunNote = note };
        }).ToArray(),
    };

    /// <summary>
    /// One comparison report holding every model of <paramref name="reports"/>, in order. Only reports of the same
    /// examples combine: top-1 on different images is not comparable. The run becomes their runs together (ids joined,
    /// the earliest start, every project version; the first report's regression threshold); history records are pooled, each once.
    /// </summary>
    /// <param name="reports">Each report with the file it came from, which errors name.</param>
    /// <exception cref="EvaluationException">Two reports were evaluated on different examples.</exception>
    public static EvaluationReport Combine(IReadOnlyList<(string Source, EvaluationReport Report)> reports)
    {
        ArgumentOutOfRangeException.ThrowIfZero(reports.Count);
        var (firstSource, first) = reports[0];
        foreach (var (source, report) in reports.Skip(1))
        {
            if (report.Run.ExamplesFingerprint != first.Run.ExamplesFingerprint)
                throw new EvaluationException(source,
                    $"evaluated on other examples than {firstSource} (examples fingerprint {ReportWriter.Short(report.Run.ExamplesFingerprint)} vs " +
                    $"{ReportWriter.Short(first.Run.ExamplesFingerprint)}): metrics on different sets are not comparable. Combine only reports of the same evaluation set.");
        }
        if (reports.Count == 1)
            return first;

        var runs = reports.Select(r => r.Report.Run).ToArray();
        var historyPaths = reports.Select(r => r.Report.HistoryPath).OfType<string>().Distinct().ToArray();
        return new EvaluationReport
        {
            Run = first.Run with
            {
                RunId = string.Join(" + ", runs.Select(r => r.RunId).Distinct()),
                StartedUtc = runs.Min(r => r.StartedUtc),
                ProjectVersion = string.Join(", ", runs.Select(r => r.ProjectVersion).Distinct()),
                Models = runs.SelectMany(r => r.Models).ToArray(),
                DataWarnings = runs.SelectMany(r => r.DataWarnings).Distinct().ToArray(),
            },
            Models = reports.SelectMany(r => r.Report.Models).ToArray(),
            HistoryPath = historyPaths.Length == 0 ? null : string.Join("; ", historyPaths),
            RegressionThresholdPp = first.RegressionThresholdPp,
            History = reports.SelectMany(r => r.Report.History).Distinct().ToArray(),
            Answer = reports.SelectMany(r => r.Report.Answer).ToArray(),
        };
    }
}
