using Pipeline.Experiments;

namespace Pipeline.Reporting.Results;

/// <summary>One finished run as the results page reads it from its published record (<see cref="RunFolder.PublishTo"/>).</summary>
public sealed record PublishedRun(
    RunSpec Spec,
    RunSummary Summary,
    IReadOnlyList<EpochMetrics> Epochs,
    IReadOnlyList<DynamicsRecord> Dynamics,
    RunEvaluation? Evaluation,
    RunFolder Folder)
{
    public bool ZeroInit => Spec.EffectiveZeroInitLast;

    /// <summary>The trainer's final val top-1 in percent.</summary>
    public double Top1 => Summary.FinalValTop1 * 100;

    /// <summary>The ML.NET pipeline's top-1 of the exported fp32 model in percent (NaN when it was not scored on its own).</summary>
    public double MlNetTop1 => Evaluation is { } e ? e.Top1 * 100 : double.NaN;

    /// <summary>The published records of <paramref name="pipeline"/>'s runs, in its order; runs not published yet are left out.</summary>
    /// <param name="root">The folder the pipeline's "results" path is relative to (the repository).</param>
    /// <exception cref="InvalidDataException">A record is damaged; the message names the file.</exception>
    public static IReadOnlyList<PublishedRun> Of(ExperimentPipeline pipeline, string root)
    {
        if (pipeline.Results.Length == 0)
            throw new InvalidDataException($"pipeline '{pipeline.Name}' publishes no records (its \"results\" is empty): nothing to summarise.");
        return Records(pipeline, root)
            .Where(folder => folder.HasSummary)
            .Select(folder => new PublishedRun(folder.ReadSpec(), folder.ReadSummary(), folder.ReadMetrics(), folder.ReadDynamics(), folder.ReadEvaluation(), folder))
            .ToArray();
    }

    /// <summary>The records of <paramref name="pipeline"/>'s runs that diverged (<see cref="RunDivergence"/>), in its order.</summary>
    public static IReadOnlyList<RunDivergence> DivergedOf(ExperimentPipeline pipeline, string root) =>
        Records(pipeline, root).Where(folder => folder.HasDiverged).Select(folder => folder.ReadDivergence()).ToArray();

    /// <summary>Where each of the pipeline's runs is published, or would be.</summary>
    private static IEnumerable<RunFolder> Records(ExperimentPipeline pipeline, string root) =>
        pipeline.Runs().Select(spec => RunFolder.PublishedIn(Path.Combine(root, pipeline.Results), spec.Name));
}
