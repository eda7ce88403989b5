using Pipeline.Experiments;
using Pipeline.Reporting.Documents;

namespace Pipeline.Reporting.Results;

/// <summary>How far an experiment is published, and in which precision and on which CPUs its runs trained: the lines under each experiment's heading.</summary>
public static class PublicationStatus
{
    public static IEnumerable<Block> Of(ExperimentResults results)
    {
        var pipeline = results.Pipeline;
        var runs = results.Runs;
        var planned = pipeline.Runs().Select(r => r.Name).ToArray();
        var diverged = results.Diverged;
        var missing = planned.Except(runs.Select(r => r.Spec.Name)).Except(diverged.Select(d => d.Name)).ToArray();
        int published = runs.Count + diverged.Count;
        string where = published == 0 ? "" : $" ([{pipeline.Results}](../../{pipeline.Results}))";
        yield return new Paragraph($"{published} of {planned.Length} runs published{where}. " + (
            missing.Length == 0 ? "The experiment is complete." :
            published == 0 ? "Nothing is published yet." :
            $"Still to run: {string.Join(", ", missing.Select(m => $"`{m}`"))}; the figures below use what is published."));
        if (diverged.Count > 0)
            yield return new Paragraph(
                $"**Diverged** ({(diverged.Count == 1 ? "1 run" : $"{diverged.Count} runs")}: a loss became non-finite, and the trainer stopped the run): " +
                string.Join("; ", diverged.Select(d => $"`{d.Name}`, {d.Loss} in epoch {d.Epoch}")) + ". " +
                "A diverged run is a result, the strongest form of \"did not train\", and has no accuracy: its seed's pair is left out of the gaps below, which rest on the seeds left.");
        if (Precisions(runs) is { Length: > 0 } precisions)
            yield return new Paragraph(precisions);
        if (Cpus(runs) is { Length: > 0 } cpus)
            yield return new Paragraph(cpus);
    }

    /// <summary>
    /// The CPUs the records name, with their counts. oneDNN picks kernels per CPU generation, so the reader needs to know
    /// which runs reproduce on which machine; nothing when no record names one (records from before the field).
    /// </summary>
    private static string Cpus(IReadOnlyList<PublishedRun> runs)
    {
        var groups = runs.GroupBy(r => r.Summary.Cpu).OrderBy(g => g.Key is null).ThenByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).ToArray();
        if (groups.All(g => g.Key is null))
            return "";
        if (groups is [{ Key: { } one }] && CpuFeatures.NamesGeneration(one) && !RunCpus.NamesSeveral(one))
            return $"Every run trained on one CPU: {one}.";
        string Name(string? cpu) => cpu is null ? "none recorded" : CpuFeatures.NamesGeneration(cpu) ? cpu : $"{cpu}, brand only";
        string Count(int count) => count == 1 ? "1 run" : $"{count} runs";
        bool brandOnly = groups.Any(g => g.Key is { } cpu && !CpuFeatures.NamesGeneration(cpu));
        bool resumedElsewhere = groups.Any(g => g.Key is { } cpu && RunCpus.NamesSeveral(cpu));
        return "The records name the CPUs that trained the runs: " + string.Join("; ", groups.Select(g => $"{Name(g.Key)} ({Count(g.Count())})")) + ". " +
               (brandOnly ? "A brand-only name comes from records made before the CPU's family and model were recorded, so its runs may come from several generations. " : "") +
               (resumedElsewhere ? "A run resumed on another CPU names each with its epochs, and reproduces bit for bit on neither. " : "") +
               "oneDNN picks its kernels per CPU generation, so a run reproduces bit for bit only on a CPU like the one that trained it, and a seed's two arms may come from two " +
               "generations: they share the seed's initial weights and data order, and differ in rounding. How far that moves one run is measured only for the main job's " +
               "3-epoch runs ([Repeatability](../experiments.md#repeatability)), not for these.";
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
