using Pipeline.Experiments;

namespace Pipeline.Reporting.Results;

/// <summary>
/// Everything the results page says about one experiment, computed once from its published records: the runs, their
/// pairs (<see cref="RunPairs"/>), each length's statistics and the gap's trend over lengths. Sections only word it.
/// </summary>
public sealed record ExperimentResults(PageExperiment Experiment, IReadOnlyList<PublishedRun> Runs, PairedRuns<PublishedRun> Pairing, IReadOnlyList<LengthResult> Lengths)
{
    public ExperimentPipeline Pipeline => Experiment.Pipeline;

    /// <summary>The runs published as diverged (<see cref="RunDivergence"/>): results with no accuracy, so in no pair.</summary>
    public IReadOnlyList<RunDivergence> Diverged { get; init; } = [];

    /// <summary>
    /// The gap's trend over the measured lengths in each form (<see cref="TrendForm"/>), extrapolated to twice the longest
    /// one (the next length worth training); empty below three lengths. Over one depth and recipe: an experiment of
    /// several lengths measures one of each.
    /// </summary>
    public IReadOnlyList<GapTrend> Trends { get; } = Lengths.Select(l => l.Line).Distinct().Count() == 1 ? TrendsOf(Lengths) : [];

    /// <summary>The fits of <paramref name="lengths"/> (one depth, recipe and peak lr), extrapolated to twice the longest length.</summary>
    public static IReadOnlyList<GapTrend> TrendsOf(IReadOnlyList<LengthResult> lengths) => lengths.Count == 0 ? [] :
        GapTrend.Fits(lengths.SelectMany(l => l.Gap.Differences.Select(d => (l.Epochs, d))).ToArray(), 2 * lengths.Max(l => l.Epochs));

    /// <param name="root">The folder the pipeline's "results" path is relative to (the repository).</param>
    /// <exception cref="InvalidDataException">A published record is damaged; the message names the file.</exception>
    public static ExperimentResults Load(PageExperiment experiment, string root)
    {
        var runs = PublishedRun.Of(experiment.Pipeline, root);
        var pairing = RunPairs.Of(runs, r => r.Spec);
        return new ExperimentResults(experiment, runs, pairing, LengthResult.Of(pairing)) { Diverged = PublishedRun.DivergedOf(experiment.Pipeline, root) };
    }
}
