using Pipeline.Experiments;

namespace Pipeline.Reporting.Results;

/// <summary>An experiment the results page covers: its pipeline, and its file as the page's command names it (relative to the repository).</summary>
public sealed record PageExperiment(ExperimentPipeline Pipeline, string File)
{
    /// <summary>The pipeline in <paramref name="file"/>, read by <see cref="ExperimentPipeline.Load"/>, named relative to <paramref name="root"/>.</summary>
    /// <exception cref="RunSpecException">The file is not a valid pipeline; names it.</exception>
    public static PageExperiment Load(string file, string root) =>
        new(ExperimentPipeline.Load(file), Path.GetRelativePath(root, Path.GetFullPath(file)).Replace('\\', '/'));

    /// <summary>
    /// Every pipeline in <c>pipelines/</c> under <paramref name="root"/> that publishes its runs
    /// (<see cref="ExperimentPipeline.PublishesResults"/>), in the page's order (<see cref="ResultsPage.Place"/>: the
    /// short-run answer, the long run, the depth experiment's parts), then by name.
    /// </summary>
    /// <exception cref="RunSpecException">The folder is missing or publishes nothing, or a file there is not valid JSON or not a valid pipeline; names it.</exception>
    public static IReadOnlyList<PageExperiment> In(string root)
    {
        string folder = Path.Combine(root, "pipelines");
        if (!Directory.Exists(folder))
            throw new RunSpecException($"{folder}: no such folder. Run the command from the repository's root, or name the experiment pipelines.");
        var experiments = Directory.EnumerateFiles(folder, "*.json")
            .Where(ExperimentPipeline.PublishesResults)
            .Select(f => Load(f, root))
            .OrderBy(e => ResultsPage.Place(e.Pipeline)).ThenBy(e => e.Pipeline.Name, StringComparer.Ordinal)
            .ToArray();
        return experiments.Length > 0 ? experiments
            : throw new RunSpecException($"{folder}: no pipeline there names a \"results\" folder, so there is nothing to summarise. Name the experiment pipelines.");
    }
}
