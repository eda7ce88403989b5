using Pipeline.Experiments;
using Pipeline.Reporting.Documents;
using static Pipeline.NumberText;

namespace Pipeline.Reporting.Results;

/// <summary>
/// An experiment of several training lengths (the long-run claim): each length's arms and paired gap, the plots, where
/// the gap changes sign and where it is established, the smallest gap these seeds would see, and the trend.
/// </summary>
public sealed class LongRunSection : IExperimentSection
{
    public bool Covers(ExperimentPipeline pipeline) => pipeline.Epochs.Count > 1;

    public IEnumerable<Block> Build(ExperimentResults results)
    {
        var pipeline = results.Pipeline;
        var lengths = results.Lengths;
        string precision = pipeline.Precision == Precision.Auto ? "" : $", {pipeline.Precision.Name()}";
        yield return new Heading(2, $"The long-run claim: {string.Join(", ", pipeline.Epochs.Order())} epochs at {pipeline.ImageSize} px{precision} ({pipeline.Name})");
        foreach (var block in PublicationStatus.Of(results))
            yield return block;
        yield return new Paragraph($"Caveat: {pipeline.ImageSize} px images (about a quarter of the 128 px cost); the answer is for small images, where shallow networks do comparatively well. " +
                                   "The one-cycle schedule is scaled to each length, so every length is a complete training, not a snapshot of a longer one.");
        if (lengths.Count == 0)
        {
            yield return new Paragraph("No length has a seed with both arms published yet.");
            yield break;
        }
        yield return LengthTable(lengths);
        yield return new Figures(
        [
            new Figure("final top-1 by length", Charts.ToSvg(Charts.LongRunTop1(lengths, $"Final val top-1 by training length, {pipeline.ImageSize} px (mean, 95 % CI)"), 700, 420), $"{pipeline.Name}-top1.svg"),
            new Figure("paired gap by length", Charts.ToSvg(Charts.LongRunGap(lengths, "Paired gap off − on by length (95 % CI; trends: 95 % prediction interval)", results.Trends), 700, 380), $"{pipeline.Name}-gap.svg"),
        ]);

        var published = PublishedReference.Current.LongRun;
        var significant = lengths.Where(l => l.Gap.Significant).Select(l => Fixed(l.Epochs, "0")).ToArray();
        yield return new Paragraph(Crossing(lengths) + " " + (significant.Length > 0 ? $"The two-sided 95 % interval excludes zero at {string.Join(", ", significant)} epochs." : "No two-sided interval excludes zero.") +
                                   $" With these seeds a true gap smaller than about {DetectableRange(lengths)} pp would likely go undetected " +
                                   $"(minimum detectable effect: {PairedComparison.MinimumDetectableEffectMethod}; " +
                                   $"for scale: the one published long-run figure, {published.Source}, is +{Fixed(published.GainLowPp, "0.0")}–{Fixed(published.GainHighPp, "0.0")} pp " +
                                   $"for zero-init on {published.Model} after {published.Schedule}).");
        foreach (var block in TrendParagraphs(results.Trends, lengths))
            yield return block;
        foreach (var block in Plateau(lengths, $"{pipeline.Name}-contribution-by-epoch.svg"))
            yield return block;
    }

    /// <summary>
    /// Each length's arms and gap: the two-sided 95 % t interval for the estimate, the one-sided 95 % bounds and the
    /// directional claim they support, a bootstrap interval where there are enough seeds for one, and the minimum
    /// detectable effect.
    /// </summary>
    internal static Table LengthTable(IReadOnlyList<LengthResult> lengths) => new(
        [new("epochs"), new("seeds"), new("off, mean ± sd"), new("on, mean ± sd"), new("gap off − on (pp)"), new("95 % CI (t)"), new("one-sided 95 % bounds"), new("claim"),
         new($"bootstrap (≥ {PairedComparison.MinimumPairsForBootstrap} seeds)"), new("minimum detectable effect")],
        lengths.Select(l => new Row(
        [
            Fixed(l.Epochs, "0"), Fixed(l.Pairs.Count, "0"), ShortRunSection.PlusMinus(l.Off), ShortRunSection.PlusMinus(l.On), Signed(l.Gap.Spread.Mean),
            $"[{Signed(l.Gap.TLow)}, {Signed(l.Gap.THigh)}]", $"≥ {Signed(l.Gap.OneSidedLow)} / ≤ {Signed(l.Gap.OneSidedHigh)}", VerdictText(l.Gap.Verdict),
            double.IsFinite(l.Gap.BootstrapLow) ? $"[{Signed(l.Gap.BootstrapLow)}, {Signed(l.Gap.BootstrapHigh)}]" : Missing, Fixed(l.Gap.MinimumDetectableEffect),
        ])).ToArray());

    internal static string VerdictText(GapVerdict verdict) => verdict switch
    {
        GapVerdict.ZeroInitCosts => "zero-init costs",
        GapVerdict.ZeroInitWins => "zero-init wins",
        GapVerdict.NoInterval => "no interval yet",
        _ => "undecided",
    };

    /// <summary>
    /// The gap's trend in each form: how well it fits (residual sd, lack-of-fit F and its p), what it predicts at twice
    /// the longest length with the 95 % prediction interval for a new pair, where its line crosses zero, and which form
    /// fits better.
    /// </summary>
    internal static IEnumerable<Block> TrendParagraphs(IReadOnlyList<GapTrend> trends, IReadOnlyList<LengthResult> lengths)
    {
        if (trends.Count == 0)
            yield break;
        double measured = lengths.SelectMany(l => l.Gap.Differences).Average();
        yield return new Paragraph(
            $"Trend over the {trends[0].Points} paired gaps (one per seed and length, {trends[0].Lengths} lengths), fitted by least squares in two forms. " +
            "Lack of fit compares the scatter of each length's mean gap around the line with the seeds' scatter within a length (F, with its p: a small p says the form does not follow the lengths). " +
            "An extrapolation assumes the form; its interval is the 95 % prediction interval for one new pair (seed noise only), wider than the fitted line's own interval.");
        yield return new Table(
            [new("form"), new("residual sd (pp)"), new("lack of fit F (p)"), new($"predicted gap at {trends[0].AtEpochs} epochs"), new("95 % prediction interval"), new("line's 95 % CI"), new("line crosses zero at"), new("reading")],
            trends.Select(t => new Row(
            [
                $"gap = {t.FormText}", Fixed(t.ResidualSd), double.IsFinite(t.LackOfFitF) ? $"{Fixed(t.LackOfFitF)} ({Fixed(t.LackOfFitP, "0.000")})" : Missing,
                Signed(t.Predicted), $"[{Signed(t.PredictionLow)}, {Signed(t.PredictionHigh)}]", $"[{Signed(t.MeanLow)}, {Signed(t.MeanHigh)}]",
                double.IsFinite(t.CrossingEpochs) && t.CrossingEpochs < 1e6 ? $"{Fixed(t.CrossingEpochs, "0")} epochs" : "never",
                t.Form == TrendForm.LogLength
                    ? $"{Signed(t.Slope)} pp per doubling of the length"
                    : $"approaches {Signed(t.Intercept)} pp for an endless schedule",
            ])).ToArray());
        var better = GapTrend.Better(trends)!;
        yield return new Paragraph(
            $"The {better.FormText} form fits better (the smaller residual sd). " +
            better.Outlook(measured) switch
            {
                TrendOutlook.SignHolds => $"Its prediction interval at {better.AtEpochs} epochs excludes zero on the side measured: on this trend the sign holds to that length.",
                TrendOutlook.Crosses => $"Its prediction interval at {better.AtEpochs} epochs lies wholly on the other side of zero: on this trend the lines cross before that length, so it is worth training.",
                _ => $"Its prediction interval at {better.AtEpochs} epochs includes zero: on this trend the lines may cross by that length, so it is worth training.",
            });
    }

    /// <summary>
    /// Where the residual branches settle: the median contribution per epoch of both arms over the longest runs, on a
    /// log axis, and its value after their last epoch.
    /// </summary>
    internal static IEnumerable<Block> Plateau(IReadOnlyList<LengthResult> lengths, string figureName)
    {
        if (lengths.Count == 0)
            yield break;
        var longest = lengths.MaxBy(l => l.Epochs)!;
        var off = longest.Pairs.Select(p => p.Off.Dynamics).Where(d => d.Count > 0).ToArray();
        var on = longest.Pairs.Select(p => p.On.Dynamics).Where(d => d.Count > 0).ToArray();
        if (off.Length == 0 || on.Length == 0)
            yield break;
        double last = DynamicsTable.Points([.. off, .. on]).Max();
        yield return new Figures([new Figure($"median residual contribution by epoch, {longest.Epochs} epochs",
            Charts.ToSvg(Charts.MedianContributionByEpoch(off, on, $"Median residual contribution by epoch, {longest.Epochs}-epoch runs (log scale)"), 700, 380),
            figureName)]);
        yield return new Paragraph(
            $"Over the {longest.Epochs}-epoch runs the residual branches settle at different sizes: after the last epoch the median block contributes " +
            $"{Fixed(DynamicsTable.MedianContribution(on, last), "0.00")} of its skip path with zero-init and {Fixed(DynamicsTable.MedianContribution(off, last), "0.00")} without it " +
            $"(means over {SeedsText(on.Length)} with zero-init and {SeedsText(off.Length)} without): {BranchSizesText(on, off)}.");
    }

    /// <summary>How zero-init's residual branches compare with the plain init's over the run, as the measurements say.</summary>
    private static string BranchSizesText(IReadOnlyList<IReadOnlyList<DynamicsRecord>> on, IReadOnlyList<IReadOnlyList<DynamicsRecord>> off)
    {
        var after = DynamicsTable.Points([.. off, .. on]).Where(p => p > 0)
            .Select(p => (On: DynamicsTable.MedianContribution(on, p), Off: DynamicsTable.MedianContribution(off, p)))
            .Where(m => double.IsFinite(m.On) && double.IsFinite(m.Off)).ToArray();
        if (after.Length == 0 || after[^1].On >= after[^1].Off)
            return "zero-init's blocks wake up and end at least as large as the plain init's";
        return after.All(m => m.On < m.Off)
            ? "zero-init's blocks wake up, but stay smaller for the whole run"
            : "zero-init's blocks wake up and are smaller again by the end of the run";
    }

    /// <summary>"1 seed", "3 seeds".</summary>
    internal static string SeedsText(int count) => count == 1 ? "1 seed" : $"{count} seeds";

    /// <summary>A gap's claim with its one-sided bounds, or, with one seed, that it has no interval yet.</summary>
    internal static string ClaimText(LengthResult c) => c.Gap.Verdict == GapVerdict.NoInterval
        ? $"one seed, {VerdictText(c.Gap.Verdict)}"
        : $"{VerdictText(c.Gap.Verdict)} (≥ {Signed(c.Gap.OneSidedLow)}, ≤ {Signed(c.Gap.OneSidedHigh)})";

    /// <summary>Where the mean gap changes sign, or that it keeps one sign over every length measured.</summary>
    private static string Crossing(IReadOnlyList<LengthResult> lengths)
    {
        var signs = lengths.Where(l => double.IsFinite(l.Gap.Spread.Mean)).Select(l => (l.Epochs, Sign: Math.Sign(l.Gap.Spread.Mean))).ToArray();
        var cross = signs.Zip(signs.Skip(1)).FirstOrDefault(s => s.First.Sign != s.Second.Sign && s.Second.Sign != 0);
        return cross != default
            ? $"The mean gap changes sign between {cross.First.Epochs} and {cross.Second.Epochs} epochs."
            : signs.Length > 0 && signs.All(s => s.Sign > 0)
                ? $"The lines do not cross within {signs[^1].Epochs} epochs: zero-init is behind at every length measured."
                : signs.Length > 0 && signs.All(s => s.Sign < 0) ? $"Zero-init is ahead at every length measured, up to {signs[^1].Epochs} epochs." : "";
    }

    /// <summary>The minimum detectable effects over the lengths that have one: "2.52", or "1.10–2.52".</summary>
    private static string DetectableRange(IReadOnlyList<LengthResult> lengths)
    {
        var effects = lengths.Select(l => l.Gap.MinimumDetectableEffect).Where(double.IsFinite).ToArray();
        if (effects.Length == 0)
            return "– (no length has two seeds yet)";
        string low = Fixed(effects.Min()), high = Fixed(effects.Max());
        return low == high ? low : $"{low}–{high}";
    }
}
