using Pipeline.Experiments;
using Pipeline.Reporting.Documents;
using static Pipeline.NumberText;

namespace Pipeline.Reporting.Results;

/// <summary>
/// An experiment of one training length (the short-run effect): each arm, the paired gap with its intervals, each seed,
/// the flavours' identical weights, the published single runs beside these, the curves, and why (the residual branches).
/// </summary>
public sealed class ShortRunSection : IExperimentSection
{
    public bool Covers(ExperimentPipeline pipeline) => pipeline.Epochs.Count == 1;

    public IEnumerable<Block> Build(ExperimentResults results)
    {
        var pipeline = results.Pipeline;
        int size = pipeline.ImageSize, epochs = pipeline.Epochs[0];
        yield return new Heading(2, $"The short-run effect: {epochs} epochs, {size} px ({pipeline.Name})");
        foreach (var block in PublicationStatus.Of(results))
            yield return block;
        if (results.Lengths.Count == 0)
        {
            yield return new Paragraph("No seed has both arms published yet.");
            yield break;
        }
        var l = results.Lengths[0];
        // Each result once: a seed's twin in the other flavour is the same weights, not another run of the arm.
        var counted = results.Pairing.WithoutTwins(results.Runs).ToArray();
        var off = counted.Where(r => !r.ZeroInit).ToArray();
        var on = counted.Where(r => r.ZeroInit).ToArray();
        yield return new Table(
            [new("arm"), new("seeds"), new("trainer top-1, mean ± sd (bf16 validation)"), new("ML.NET top-1 of the fp32 ONNX model, mean ± sd")],
            new[] { ("zero-init **off** (torchvision's default; timm with `zero_init_last=False`)", off), ("zero-init **on** (timm's default; torchvision with `zero_init_residual=True`)", on) }
                .Select(arm => new Row(
                [
                    arm.Item1, Fixed(arm.Item2.Length, "0"),
                    PlusMinus(Spread.Of(arm.Item2.Select(r => r.Top1).ToArray())),
                    PlusMinus(Spread.Of(arm.Item2.Select(r => r.MlNetTop1).Where(double.IsFinite).ToArray())),
                ])).ToArray());
        yield return new Paragraph(
            $"**Paired gap (off − on) over {l.Pairs.Count} seeds: {Signed(l.Gap.Spread.Mean)} pp, 95 % CI [{Signed(l.Gap.TLow)}, {Signed(l.Gap.THigh)}]** " +
            $"(Student's t on the paired differences, {l.Pairs.Count - 1} df; percentile bootstrap, {Fixed(PairedComparison.BootstrapResamples, "N0")} resamples: [{Signed(l.Gap.BootstrapLow)}, {Signed(l.Gap.BootstrapHigh)}]). " +
            (l.MlNetGap.Differences.Count > 1 ? $"Scored by ML.NET instead: {Signed(l.MlNetGap.Spread.Mean)} pp [{Signed(l.MlNetGap.TLow)}, {Signed(l.MlNetGap.THigh)}]. " : "") +
            $"{Claim(l.Gap)} " +
            (l.Gap.Significant ? "The interval excludes zero." : "The interval includes zero: these seeds do not establish the sign."));
        yield return new Table(
            [new("seed"), new("off"), new("on"), new("gap (pp)"), new("ML.NET off"), new("ML.NET on")],
            l.Pairs.Select(p => new Row(
                [Fixed(p.Seed, "0"), Fixed(p.Off.Top1), Fixed(p.On.Top1), Signed(p.Off.Top1 - p.On.Top1), Fixed(p.Off.MlNetTop1), Fixed(p.On.MlNetTop1)])).ToArray());

        foreach (var block in Flavours(results.Pairing))
            yield return block;
        foreach (var block in Published(results, off, on))
            yield return block;

        string flavours = string.Join(" and ", counted.Select(r => r.Spec.Flavour.ToString().ToLowerInvariant()).Distinct());
        yield return new Figures([new Figure("val top-1 per epoch, both arms",
            Charts.ToSvg(Charts.SeedCurves(counted.Where(r => !r.ZeroInit).ToArray(), counted.Where(r => r.ZeroInit).ToArray(), $"Val top-1 per epoch, {size} px, {flavours} flavour"), 760, 420),
            $"{pipeline.Name}-curves.svg")]);
        foreach (var block in ResidualBranchesSection.Build(pipeline, counted))
            yield return block;
    }

    /// <summary>The same flag and seed in both flavours must be one network trained to the same weights: each twin beside the run it repeats.</summary>
    private static IEnumerable<Block> Flavours(PairedRuns<PublishedRun> pairing)
    {
        if (pairing.Twins.Count == 0)
            yield break;
        yield return new Paragraph("**The flavours are one network.** With the same flag and seed, timm's and torchvision's module layouts train to the same weights:");
        yield return new BulletList(pairing.Twins.Select(t =>
        {
            var (twin, of) = (t.Run, t.Of);
            string sha = twin.Summary.ModelSha256, otherSha = of.Summary.ModelSha256;
            return $"seed {twin.Spec.Seed}, zero-init {(twin.ZeroInit ? "on" : "off")}: {Flavour(twin)} {Fixed(twin.Top1)} %, {Flavour(of)} {Fixed(of.Top1)} %; " +
                   (sha == otherSha ? $"the same model.bin (SHA-256 `{sha[..12]}…`)." : $"**different** weights (`{sha[..12]}…` vs `{otherSha[..12]}…`).");
        }).ToArray());
    }

    /// <summary>The published single runs (<see cref="PublishedReference"/>) beside each arm's mean here, and what differs.</summary>
    private static IEnumerable<Block> Published(ExperimentResults results, IReadOnlyList<PublishedRun> off, IReadOnlyList<PublishedRun> on)
    {
        var published = PublishedReference.Current.ShortRun;
        yield return new Paragraph($"Beside the published single runs ({published.Source}, {published.ImageSize} px, one run each):");
        yield return new Table(
            [new("variant"), new($"published, {published.ImageSize} px"), new("here: mean of the arm")],
            published.Runs.Select(v => new Row([v.Variant, Fixed(v.Top1), Fixed(Spread.Of((v.ZeroInitLast ? on : off).Select(r => r.Top1).ToArray()).Mean)])).ToArray());
        yield return new Paragraph(
            $"What differs: {results.Pipeline.ImageSize} px instead of {published.ImageSize} px (four times fewer pixels; small images favour shallow networks, which may change the size of the gap); " +
            "this project's Imagenette copy, whose images were squashed to 224 × 224 as a whole (aspect ratio not kept), where the original runs read full-size images; " +
            "bf16 mixed precision on a CPU (fp32 master weights) instead of a GPU's; TorchSharp 0.107 / libtorch 2.10 instead of PyTorch and fastai of 2022. " +
            "The recipe (fastai's Adam, one-cycle schedule, batch 64, its head) is the same.");
    }

    private static string Flavour(PublishedRun run) => run.Spec.Flavour.ToString().ToLowerInvariant();

    /// <summary>The directional claim the one-sided 95 % bounds support, with the bound it rests on.</summary>
    internal static string Claim(PairedComparison gap) => gap.Verdict switch
    {
        GapVerdict.ZeroInitCosts => $"One-sided: zero-init costs at least {Fixed(gap.OneSidedLow)} pp (95 % lower bound).",
        GapVerdict.ZeroInitWins => $"One-sided: zero-init wins by at least {Fixed(-gap.OneSidedHigh)} pp (95 % upper bound of the gap, {Signed(gap.OneSidedHigh)}).",
        GapVerdict.NoInterval => "One seed: no bound yet.",
        _ => $"One-sided 95 % bounds [{Signed(gap.OneSidedLow)}, {Signed(gap.OneSidedHigh)}]: neither arm is shown to be better.",
    };

    /// <summary>"73.33 ± 0.56"; a single value alone; a dash for none.</summary>
    internal static string PlusMinus(Spread s) => s.Count == 0 ? Missing : s.Count == 1 ? Fixed(s.Mean) : $"{Fixed(s.Mean)} ± {Fixed(s.StandardDeviation)}";
}
