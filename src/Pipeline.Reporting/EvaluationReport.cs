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
}
