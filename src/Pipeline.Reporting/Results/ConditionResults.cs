using Pipeline.Experiments;

namespace Pipeline.Reporting.Results;

/// <summary>
/// Every paired condition of every experiment on the page, by condition (depth, recipe, peak lr, length): what the
/// sections that compare experiments (the map, the depth experiment's hypotheses) read. A condition measured by two
/// experiments keeps the first one's pairs.
/// </summary>
public sealed class ConditionResults
{
    private readonly Dictionary<(ResNetArch Arch, string Recipe, double LrMax, int ImageSize, int Epochs), LengthResult> _cells;

    public ConditionResults(IReadOnlyList<ExperimentResults> experiments)
    {
        _cells = [];
        foreach (var length in experiments.SelectMany(e => e.Lengths))
            _cells.TryAdd(Key(length.Condition), length);
        All = [.. _cells.Values.OrderBy(c => c.Condition.Arch).ThenBy(c => c.Condition.Recipe, StringComparer.Ordinal).ThenBy(c => c.Condition.LrMax)
            .ThenBy(c => c.Condition.ImageSize).ThenBy(c => c.Epochs)];
    }

    /// <summary>Every condition with at least one pair, by depth, recipe, peak lr and length.</summary>
    public IReadOnlyList<LengthResult> All { get; }

    private static (ResNetArch, string, double, int, int) Key(PairCondition c) => (c.Arch, c.Recipe, c.LrMax, c.ImageSize, c.Epochs);

    /// <summary>The condition's pairs at 64 px (the depth experiment's and the long run's size), or null where none is published.</summary>
    public LengthResult? At(ResNetArch arch, Recipe recipe, int epochs, int imageSize = 64) => _cells.GetValueOrDefault((arch, recipe.Name, recipe.LrMax, imageSize, epochs));

    /// <summary>The conditions along one line (depth, recipe, peak lr) in order of length: what a trend is fitted to.</summary>
    public IEnumerable<IGrouping<(ResNetArch Arch, string Recipe, double LrMax, int ImageSize), LengthResult>> Lines => All.GroupBy(c => c.Line);

    /// <summary>
    /// Seed by seed, <paramref name="a"/>'s gap minus <paramref name="b"/>'s over the seeds both measured: how two
    /// conditions' gaps differ, paired by seed. Null where either is missing or they share fewer than two seeds.
    /// </summary>
    public static PairedComparison? Difference(LengthResult? a, LengthResult? b)
    {
        if (a is null || b is null)
            return null;
        var gapsB = b.Pairs.ToDictionary(p => p.Seed, Gap);
        var differences = a.Pairs.Where(p => gapsB.ContainsKey(p.Seed)).Select(p => Gap(p) - gapsB[p.Seed]).ToArray();
        return differences.Length < 2 ? null : PairedComparison.Of(differences);
    }

    private static double Gap(RunPair<PublishedRun> p) => p.Off.Top1 - p.On.Top1;

    /// <summary>"ResNet50, sgd (peak lr 0.025), 64 px" or "ResNet18, fastai (Adam, one-cycle), 128 px".</summary>
    public static string Describe(PairCondition c) => $"{c.Arch}, {RecipeText(c.Recipe, c.LrMax)}, {c.ImageSize} px";

    public static string RecipeText(string recipe, double lrMax) =>
        recipe == Recipe.FastaiReference.Name ? "fastai (Adam, one-cycle)" : $"{recipe} (peak lr {NumberText.Fixed(lrMax, "0.#####")})";
}
