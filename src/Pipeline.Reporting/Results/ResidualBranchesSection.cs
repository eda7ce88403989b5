using Pipeline.Experiments;
using Pipeline.Reporting.Documents;
using static Pipeline.NumberText;

namespace Pipeline.Reporting.Results;

/// <summary>Why (the short-run effect's subsection): the residual branches waking up, per block, with the per-epoch gap beside them.</summary>
public static class ResidualBranchesSection
{
    /// <param name="runs">Each result once (no flavour twins).</param>
    public static IEnumerable<Block> Build(ExperimentPipeline pipeline, IReadOnlyList<PublishedRun> runs)
    {
        var offRuns = runs.Where(r => !r.ZeroInit).ToArray();
        var onRuns = runs.Where(r => r.ZeroInit).ToArray();
        var off = offRuns.Select(r => r.Dynamics).ToArray();
        var on = onRuns.Select(r => r.Dynamics).ToArray();
        var points = DynamicsTable.Points([.. off, .. on]);
        if (off.Length == 0 || on.Length == 0 || points.Count == 0)
            yield break;
        yield return new Heading(3, "Why: the residual branches waking up");
        yield return new Paragraph(
            "Each run reads every residual block on the same 40 validation images (4 per class, eval mode) at initialisation, at 1/16, 1/8, 1/4 and 1/2 of the first epoch and after every epoch: " +
            "the block's *contribution* is ‖branch output‖ / ‖shortcut output‖ (0: the block is the identity), beside the mean |γ| of its last BatchNorm. " +
            "Lines are the mean over the arm's seeds.");
        // Each arm on its own scale: zero-init's branches stay an order of magnitude smaller early on, and on the other
        // arm's scale they read as a flat line at zero.
        yield return new Figures(new[] { (off, "off"), (on, "on") }.Select(arm => new Figure(
            $"residual contribution per block, zero-init {arm.Item2}",
            Charts.ToSvg(Charts.ResidualContributions(arm.Item1, $"Residual contribution per block, zero-init {arm.Item2} ({arm.Item1.Length} seeds; own scale)", DynamicsTable.AxisMax(arm.Item1)), 760, 380),
            $"{pipeline.Name}-contribution-zero-init-{arm.Item2}.svg")).ToArray());

        int blocks = off[0][0].Blocks.Count;
        yield return new Paragraph($"Blocks active (contribution ≥ {Fixed(DynamicsTable.ActiveThreshold, "0.##")}, of {blocks}), median contribution over blocks, mean gradient norm of layer1's parameters (mean over the steps since the previous point), and the val top-1 gap where both arms validated:");
        yield return new Table(
            [new("progress (epochs)"), new("active off"), new("active on"), new("median contribution off"), new("median on"), new("grad norm layer1 off"), new("on"), new("top-1 gap off − on (pp)")],
            points.Select(p => new Row(
            [
                DynamicsTable.Label(p), Fixed(DynamicsTable.MeanActiveBlocks(off, p), "0.#"), Fixed(DynamicsTable.MeanActiveBlocks(on, p), "0.#"),
                Fixed(DynamicsTable.MedianContribution(off, p), "0.000"), Fixed(DynamicsTable.MedianContribution(on, p), "0.000"),
                Fixed(DynamicsTable.MeanGradNorm(off, p, "layer1"), "0.000"), Fixed(DynamicsTable.MeanGradNorm(on, p, "layer1"), "0.000"), Gap(offRuns, onRuns, p),
            ])).ToArray());

        double first = points.FirstOrDefault(p => p > 0);
        double? allActive = points.Where(p => p > 0 && DynamicsTable.MeanActiveBlocks(on, p) >= blocks).Cast<double?>().FirstOrDefault();
        yield return new Paragraph(
            $"In numbers: at initialisation the median contribution is {Fixed(DynamicsTable.MedianContribution(off, 0), "0.000")} without zero-init and {Fixed(DynamicsTable.MedianContribution(on, 0), "0.000")} with it; " +
            $"after {DynamicsTable.Label(first)} of an epoch {Fixed(DynamicsTable.MedianContribution(off, first), "0.000")} and {Fixed(DynamicsTable.MedianContribution(on, first), "0.000")}, " +
            $"with {Fixed(DynamicsTable.MeanActiveBlocks(on, first), "0.#")} of {blocks} zero-init blocks active; " +
            (allActive is { } all ? $"every zero-init block is active from {DynamicsTable.Label(all)} on. " : "not every zero-init block is active by the end. ") +
            $"After the last epoch: {Fixed(DynamicsTable.MedianContribution(off, points[^1]), "0.000")} and {Fixed(DynamicsTable.MedianContribution(on, points[^1]), "0.000")}.");
    }

    /// <summary>The arms' mean val top-1 gap after a whole epoch both validated; empty elsewhere (within the first epoch, or no validation).</summary>
    private static string Gap(IReadOnlyList<PublishedRun> off, IReadOnlyList<PublishedRun> on, double point)
    {
        if (point < 1 || point != Math.Floor(point))
            return "";
        var a = off.Select(r => r.Epochs.FirstOrDefault(e => e.Epoch == (int)point)?.ValTop1).OfType<double>().ToArray();
        var b = on.Select(r => r.Epochs.FirstOrDefault(e => e.Epoch == (int)point)?.ValTop1).OfType<double>().ToArray();
        return a.Length > 0 && b.Length > 0 ? Signed((a.Average() - b.Average()) * 100) : "";
    }
}
