using Pipeline.Experiments;
using Pipeline.Reporting.Documents;

namespace Pipeline.Reporting.Results;

/// <summary>
/// The results page's section for one experiment: the prose, tables and figures that word an
/// <see cref="ExperimentResults"/>. Each kind of experiment (one length; several lengths; …) has its own.
/// </summary>
public interface IExperimentSection
{
    /// <summary>Whether this section is written for <paramref name="pipeline"/>, by its design (lengths, depths, learning rates).</summary>
    bool Covers(ExperimentPipeline pipeline);

    IEnumerable<Block> Build(ExperimentResults results);
}

/// <summary>A section of the results page over every experiment it covers (cost, the list of runs).</summary>
public interface IPageSection
{
    IEnumerable<Block> Build(IReadOnlyList<ExperimentResults> experiments);
}
