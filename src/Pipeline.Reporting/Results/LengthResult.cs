using Pipeline.Experiments;

namespace Pipeline.Reporting.Results;

/// <summary>
/// One condition of a zero-init comparison (a training length, at one depth, recipe and peak lr): each arm's spread
/// and the paired gap (off − on), in percentage points.
/// </summary>
public sealed record LengthResult(PairCondition Condition, IReadOnlyList<RunPair<PublishedRun>> Pairs, Spread Off, Spread On, PairedComparison Gap, PairedComparison MlNetGap)
{
    /// <summary>One result per condition of <paramref name="pairing"/> (for one depth and recipe: per length), in its order.</summary>
    public static IReadOnlyList<LengthResult> Of(PairedRuns<PublishedRun> pairing) =>
        pairing.ByCondition.Select(g =>
        {
            var list = g.ToArray();
            return new LengthResult(g.Key, list,
                Spread.Of(list.Select(p => p.Off.Top1).ToArray()),
                Spread.Of(list.Select(p => p.On.Top1).ToArray()),
                PairedComparison.Of(list.Select(p => p.Off.Top1 - p.On.Top1).ToArray()),
                PairedComparison.Of(list.Select(p => p.Off.MlNetTop1 - p.On.MlNetTop1).Where(double.IsFinite).ToArray()));
        }).ToArray();

    public int Epochs => Condition.Epochs;

    /// <summary>The condition without its length: the line a gap-against-length trend is fitted along.</summary>
    public (ResNetArch Arch, string Recipe, double LrMax, int ImageSize) Line => (Condition.Arch, Condition.Recipe, Condition.LrMax, Condition.ImageSize);
}
