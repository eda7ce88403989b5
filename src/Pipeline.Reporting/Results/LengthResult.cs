using Pipeline.Experiments;

namespace Pipeline.Reporting.Results;

/// <summary>One training length of a zero-init comparison: each arm's spread and the paired gap (off − on), in percentage points.</summary>
public sealed record LengthResult(int Epochs, IReadOnlyList<RunPair<PublishedRun>> Pairs, Spread Off, Spread On, PairedComparison Gap, PairedComparison MlNetGap)
{
    /// <summary>One result per condition of <paramref name="pairing"/> (for one depth and recipe: per length), in its order.</summary>
    public static IReadOnlyList<LengthResult> Of(PairedRuns<PublishedRun> pairing) =>
        pairing.ByCondition.Select(g =>
        {
            var list = g.ToArray();
            return new LengthResult(g.Key.Epochs, list,
                Spread.Of(list.Select(p => p.Off.Top1).ToArray()),
                Spread.Of(list.Select(p => p.On.Top1).ToArray()),
                PairedComparison.Of(list.Select(p => p.Off.Top1 - p.On.Top1).ToArray()),
                PairedComparison.Of(list.Select(p => p.Off.MlNetTop1 - p.On.MlNetTop1).Where(double.IsFinite).ToArray()));
        }).ToArray();
}
