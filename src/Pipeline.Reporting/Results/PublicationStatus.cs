using Pipeline.Experiments;
using Pipeline.Reporting.Documents;

namespace Pipeline.Reporting.Results;

/// <summary>How far an experiment is published, and in which precision its runs trained: the lines under each experiment's heading.</summary>
public static class PublicationStatus
{
    public static IEnumerable<Block> Of(ExperimentResults results)
    {
        var pipeline = results.Pipeline;
        var runs = results.Runs;
        var planned = pipeline.Runs().Select(r => r.Name).ToArray();
        var missing = planned.Except(runs.Select(r => r.Spec.Name)).ToArray();
        string where = runs.Count == 0 ? "" : $" ([{pipeline.Results}](../../{pipeline.Results}))";
        yield return new Paragraph($"{runs.Count} of {planned.Length} runs published{where}. " + (
            missing.Length == 0 ? "The experiment is complete." :
            runs.Count == 0 ? "Nothing is published yet." :
            $"Still to run: {string.Join(", ", missing.Select(m => $"`{m}`"))}; the figures below use what is published."));
        if (Precisions(runs) is { Length: > 0 } precisions)
            yield return new Paragraph(precisions);
    }

    /// <summary>The precision the runs trained in, as each run's config.json records it; a mix is said, since the arms would not be comparable.</summary>
    private static string Precisions(IReadOnlyList<PublishedRun> runs)
    {
        var groups = runs.GroupBy(r => r.Spec.Precision.Name()).OrderByDescending(g => g.Count()).ToArray();
        return groups.Length switch
        {
            0 => "",
            1 => $"Every run trained in {groups[0].Key}{(groups[0].Key == "bf16" ? " mixed precision (fp32 master weights) on a CPU with native bf16" : "")}.",
            _ => $"**Warning: the runs mix precisions** ({string.Join(", ", groups.Select(g => $"{g.Key}: {g.Count()}"))}), so their arms are not comparable; " +
                 "the runner refuses this for new runs, so a run record was copied in by hand: remove the odd ones and train them again.",
        };
    }
}
