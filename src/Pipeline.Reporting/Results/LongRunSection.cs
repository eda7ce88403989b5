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
        yield return new Table(
            [new("epochs"), new("seeds"), new("off, mean ± sd"), new("on, mean ± sd"), new("gap off − on (pp)"), new("95 % CI (t)"), new("bootstrap"), new("smallest gap detectable at 80 % power")],
            lengths.Select(l => new Row(
            [
                Fixed(l.Epochs, "0"), Fixed(l.Pairs.Count, "0"), ShortRunSection.PlusMinus(l.Off), ShortRunSection.PlusMinus(l.On), Signed(l.Gap.Spread.Mean),
                $"[{Signed(l.Gap.TLow)}, {Signed(l.Gap.THigh)}]", $"[{Signed(l.Gap.BootstrapLow)}, {Signed(l.Gap.BootstrapHigh)}]", Fixed(l.Gap.MinimumDetectableEffect),
            ])).ToArray());
        yield return new Figures(
        [
            new Figure("final top-1 by length", Charts.ToSvg(Charts.LongRunTop1(lengths, $"Final val top-1 by training length, {pipeline.ImageSize} px (mean, 95 % CI)"), 700, 420), $"{pipeline.Name}-top1.svg"),
            new Figure("paired gap by length", Charts.ToSvg(Charts.LongRunGap(lengths, "Paired gap, zero-init off − on, by training length (mean, 95 % CI)", results.Trend), 700, 380), $"{pipeline.Name}-gap.svg"),
        ]);

        var published = PublishedReference.Current.LongRun;
        var significant = lengths.Where(l => l.Gap.Significant).Select(l => Fixed(l.Epochs, "0")).ToArray();
        yield return new Paragraph(Crossing(lengths) + " " + (significant.Length > 0 ? $"The 95 % interval excludes zero at {string.Join(", ", significant)} epochs." : "No interval excludes zero.") +
                                   $" With these seeds a true gap smaller than about {DetectableRange(lengths)} pp would likely go undetected " +
                                   $"(for scale: the one published long-run figure, {published.Source}, is +{Fixed(published.GainLowPp, "0.0")}–{Fixed(published.GainHighPp, "0.0")} pp " +
                                   $"for zero-init on {published.Model} after {published.Schedule}).");
        if (results.Trend is { } trend)
        {
            yield return new Paragraph(
                $"Trend: over the {trend.Points} paired gaps (one per seed and length), each doubling of the length moves the gap by {Signed(trend.SlopePerDoubling)} pp (least squares against log2 epochs). " +
                $"Extrapolated to {trend.AtEpochs} epochs the line gives {Signed(trend.Predicted)} pp, 95 % CI [{Signed(trend.Low)}, {Signed(trend.High)}] " +
                "(seed noise only, assuming the gap is linear in log2 epochs: an extrapolation, not a result). " +
                trend.Outlook(lengths.SelectMany(l => l.Gap.Differences).Average()) switch
                {
                    TrendOutlook.SignHolds => $"The interval excludes zero on the side measured: on this trend the sign holds up to {trend.AtEpochs} epochs.",
                    TrendOutlook.Crosses => $"The interval lies wholly on the other side of zero: on this trend the lines cross before {trend.AtEpochs} epochs, so that length is worth training.",
                    _ => $"The interval includes zero: on this trend the lines may cross by {trend.AtEpochs} epochs, so that length is worth training.",
                });
        }
    }

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
