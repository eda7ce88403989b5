using Pipeline.Experiments;

namespace Pipeline.Reporting.Results;

/// <summary>
/// Everything the results page says about one experiment, computed once from its published records: the runs, their
/// pairs (<see cref="RunPairs"/>), each length's statistics and the gap's trend over lengths. Sections only word it.
/// </summary>
public sealed record ExperimentResults(PageExperiment Experiment, IReadOnlyList<PublishedRun> Runs, PairedRuns<PublishedRun> Pairing, IReadOnlyList<LengthResult> Lengths)
{
    public ExperimentPipeline Pipeline => Experiment.Pipeline;

    /// <summary>The gap's trend over the measured lengths, extrapolated to twice the longest one (the next length worth training); null below three lengths.</summary>
    public GapTrend? Trend { get; } = Lengths.Count == 0 ? null :
        GapTrend.Of(Lengths.SelectMany(l => l.Gap.Differences.Select(d => (l.Epochs, d))).ToArray(), 2 * Lengths.Max(l => l.Epochs));

    /// <param name="root">The folder the pipeline's "results" path is relative to (the repository).</param>
    /// <exception cref="InvalidDataException">A published record is damaged; the message names the file.</exception>
    public static ExperimentResults Load(PageExperiment experiment, string root)
    {
        var runs = PublishedRun.Of(experiment.Pipeline, root);
        var pairing = RunPairs.Of(runs, r => r.Spec);
        return new ExperimentResults(experiment, runs, pairing, LengthResult.Of(pairing));
    }
}
