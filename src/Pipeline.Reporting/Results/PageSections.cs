using Pipeline.Reporting.Documents;
using static Pipeline.NumberText;

namespace Pipeline.Reporting.Results;

/// <summary>What the runs of every experiment cost: wall time, where it went, training speed.</summary>
public sealed class CostSection : IPageSection
{
    public IEnumerable<Block> Build(IReadOnlyList<ExperimentResults> experiments)
    {
        var runs = experiments.SelectMany(e => e.Runs).ToArray();
        if (runs.Length == 0)
            yield break;
        var epochs = runs.SelectMany(r => r.Epochs).ToArray();
        double wall = epochs.Sum(e => e.WallSeconds), train = epochs.Sum(e => e.TrainSeconds), val = epochs.Sum(e => e.ValSeconds),
            probe = epochs.Sum(e => e.ProbeSeconds), checkpoint = epochs.Sum(e => e.CheckpointSeconds ?? 0);
        yield return new Heading(2, "Cost");
        yield return new Paragraph(
            $"{runs.Length} runs, {epochs.Length} epochs, {Fixed(wall / 3600, "0.0")} hours of wall time on the project's 2-core CPU machine (runs often shared it with development work, so times vary): " +
            $"training {Share(train, wall)}, validation {Share(val, wall)}, the dynamics probe {Share(probe, wall)}, checkpoints {Share(checkpoint, wall)}. " +
            $"Training ran at {Fixed(runs.Average(r => r.Summary.MeanTrainImagesPerSecond), "0")} images/s on average (per-epoch figures in each run's summary.md).");
    }

    private static string Share(double part, double whole) => whole > 0 ? Fixed(part / whole, "0.0 %") : Missing;
}

/// <summary>The trainer's bf16 validation against ML.NET's score of the fp32 export, over every run scored on its own.</summary>
public sealed class Bf16Section : IPageSection
{
    public IEnumerable<Block> Build(IReadOnlyList<ExperimentResults> experiments)
    {
        var scored = experiments.SelectMany(e => e.Runs).Where(r => r.Evaluation is not null).ToArray();
        if (scored.Length == 0)
            yield break;
        var gaps = scored.Select(r => r.Top1 - r.MlNetTop1).ToArray();
        yield return new Heading(2, "bf16 validation against the fp32 model");
        yield return new Paragraph(
            $"The trainer validates in bf16 (as it trains); the exported model is fp32 and ML.NET scores it on the same images. Over {scored.Length} runs the trainer's top-1 minus ML.NET's is " +
            $"{Signed(gaps.Average())} pp on average, between {Signed(gaps.Min())} and {Signed(gaps.Max())}; {gaps.Count(g => Math.Abs(g) <= 0.3)} of {scored.Length} are within 0.3 pp.");
    }
}

/// <summary>Every published run, linked to its summary.</summary>
public sealed class RunsSection : IPageSection
{
    public IEnumerable<Block> Build(IReadOnlyList<ExperimentResults> experiments)
    {
        yield return new Heading(2, "Runs");
        yield return new BulletList(experiments.SelectMany(e => e.Runs).Select(run =>
            $"[{run.Spec.Name}]({Relative(run)}/summary.md): {Fixed(run.Top1)} %{(run.Evaluation is null ? "" : $" (ML.NET {Fixed(run.MlNetTop1)} %)")}, " +
            $"{Fixed(run.Summary.WallSeconds / 60, "0.0")} min, project {run.Summary.Version}").ToArray());
    }

    /// <summary>The run's folder relative to docs/results/, where the page is.</summary>
    private static string Relative(PublishedRun run) => run.Folder.Path.Replace('\\', '/') is var p && p.IndexOf("/docs/results/", StringComparison.Ordinal) is int i and >= 0
        ? p[(i + "/docs/results/".Length)..]
        : p;
}
