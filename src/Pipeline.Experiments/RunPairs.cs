using System.Text.Json;

namespace Pipeline.Experiments;

/// <summary>
/// What two paired runs share besides their seed: the condition a zero-init gap is measured under. Depth, head,
/// recipe (every setting of it, not only its name) with its peak learning rate, training length and image size.
/// </summary>
public sealed record PairCondition(ResNetArch Arch, HeadKind Head, string Recipe, double LrMax, int Epochs)
{
    /// <summary>The side the images are trained and scored at: a gap at 128 px is not one at 64 px.</summary>
    public int ImageSize { get; init; }

    /// <summary>The whole recipe as its run file writes it: two recipes of one name with other settings never pair.</summary>
    private string RecipeSettings { get; init; } = "";

    /// <summary>The order conditions are listed in, everywhere: depth, head, recipe, peak learning rate, then length.</summary>
    public static IComparer<PairCondition> Order { get; } = Comparer<PairCondition>.Create((a, b) =>
        a.Arch.CompareTo(b.Arch) is not 0 and var arch ? arch
        : a.Head.CompareTo(b.Head) is not 0 and var head ? head
        : string.CompareOrdinal(a.Recipe, b.Recipe) is not 0 and var recipe ? recipe
        : a.LrMax.CompareTo(b.LrMax) is not 0 and var lr ? lr
        : a.Epochs.CompareTo(b.Epochs));

    public static PairCondition Of(RunSpec spec) =>
        new(spec.Arch, spec.Head, spec.Recipe.Name, spec.Recipe.LrMax, spec.Epochs)
        {
            ImageSize = spec.ImageSize,
            RecipeSettings = JsonSerializer.Serialize(spec.Recipe, RunSpec.Json),
        };
}

/// <summary>One seed's pair: the same <see cref="PairCondition"/> and seed, zero-init of each block's last BN γ off and on.</summary>
public sealed record RunPair<TRun>(PairCondition Condition, int Seed, TRun Off, TRun On)
{
    public int Epochs => Condition.Epochs;
}

/// <summary>A run that repeats a result already counted: <paramref name="Run"/> is <paramref name="Of"/>'s twin in another flavour.</summary>
public sealed record RunTwin<TRun>(TRun Run, TRun Of);

/// <summary>Runs paired by <see cref="RunPairs.Of"/>: the pairs, the runs counted in them already (twins), and the runs with no partner.</summary>
/// <param name="Pairs">Ordered by depth, head, recipe, peak learning rate, length, then seed.</param>
/// <param name="Twins">
/// Runs that repeat a result already counted: the other flavour's run of the same condition, seed and flag (timm's and
/// torchvision's layouts train to the same weights), in the order given.
/// </param>
/// <param name="Unpaired">Runs whose seed has no run with the other flag under the same condition, in the order given: in no gap.</param>
public sealed record PairedRuns<TRun>(IReadOnlyList<RunPair<TRun>> Pairs, IReadOnlyList<RunTwin<TRun>> Twins, IReadOnlyList<TRun> Unpaired)
{
    /// <summary>The pairs of each condition, conditions in the pairs' order.</summary>
    public IEnumerable<IGrouping<PairCondition, RunPair<TRun>>> ByCondition => Pairs.GroupBy(p => p.Condition);

    /// <summary><paramref name="runs"/> (those paired, or some of them) without the twins, in their order: each result once.</summary>
    public IEnumerable<TRun> WithoutTwins(IEnumerable<TRun> runs)
    {
        var twins = Twins.Select(t => t.Run).ToHashSet();
        return runs.Where(r => !twins.Contains(r));
    }
}

/// <summary>
/// The one rule that pairs runs for a zero-init gap, used by the experiment's answer and by the results page alike.
/// </summary>
/// <remarks>
/// <para>A pair is two runs of the same seed under the same <see cref="PairCondition"/> (depth, head, recipe, peak
/// learning rate, length), one with the flag off and one with it on: the same initial weights elsewhere and the same
/// data order, so their difference is the flag's alone. A gap is never taken across lengths, depths or recipes, nor
/// from one arm's unpaired seeds.</para>
/// <para>The flavour is not part of the condition: a timm and a torchvision run of the same seed and flag are one
/// result (the two module layouts train to bit-identical weights; the results page shows their SHA-256s), never two
/// runs. Where both exist, the torchvision run (the reference implementation) stands for the result and the timm run
/// is its twin, so a pair may join torchvision's run with the flag off and timm's with it on when those are what
/// exist.</para>
/// </remarks>
public static class RunPairs
{
    public static PairedRuns<TRun> Of<TRun>(IEnumerable<TRun> runs, Func<TRun, RunSpec> spec)
    {
        var given = runs.Select((run, order) => (Run: run, Spec: spec(run), Order: order)).ToArray();
        var results = given
            .GroupBy(r => (Condition: PairCondition.Of(r.Spec), r.Spec.Seed, ZeroInit: r.Spec.EffectiveZeroInitLast))
            .Select(g => (g.Key, Runs: g.OrderBy(r => r.Spec.Flavour == ResNetFlavour.Torchvision ? 0 : 1).ThenBy(r => r.Spec.Flavour).ThenBy(r => r.Order).ToArray()))
            .ToArray();
        var twins = results.SelectMany(r => r.Runs.Skip(1).Select(twin => (twin.Order, Twin: new RunTwin<TRun>(twin.Run, r.Runs[0].Run))))
            .OrderBy(t => t.Order).Select(t => t.Twin).ToArray();

        var pairs = new List<RunPair<TRun>>();
        var unpaired = new List<(TRun Run, int Order)>();
        foreach (var seed in results.GroupBy(r => (r.Key.Condition, r.Key.Seed)))
        {
            var off = seed.FirstOrDefault(r => !r.Key.ZeroInit).Runs;
            var on = seed.FirstOrDefault(r => r.Key.ZeroInit).Runs;
            if (off is not null && on is not null)
                pairs.Add(new RunPair<TRun>(seed.Key.Condition, seed.Key.Seed, off[0].Run, on[0].Run));
            else
                unpaired.Add(((off ?? on)![0].Run, (off ?? on)![0].Order));
        }
        var ordered = pairs.OrderBy(p => p.Condition, PairCondition.Order).ThenBy(p => p.Seed).ToArray();
        return new PairedRuns<TRun>(ordered, twins, unpaired.OrderBy(u => u.Order).Select(u => u.Run).ToArray());
    }
}
