using System.Globalization;

namespace Pipeline.Experiments;

/// <summary>
/// The project's question answered from an experiment's own runs, in Markdown lines the console prints and the
/// report opens with: each variant's top-1, what zero-init costs, and what flipping a library's flag does.
/// </summary>
public static class ZeroInitAnswer
{
    /// <summary>
    /// The answer, or no lines when no runs pair (<see cref="RunPairs"/>: a seed with both settings of the flag under one
    /// condition). A pipeline with several lengths gets an epochs column, one with several depths, heads or recipes a
    /// condition column, and each condition its own cost: a variant's top-1 and a gap are only ever taken within one
    /// condition, never across lengths or depths or from one arm's unpaired seeds, which are named.
    /// </summary>
    public static IReadOnlyList<string> For(ExperimentPipeline pipeline, IReadOnlyList<(RunSpec Spec, RunSummary Summary)> runs)
    {
        var c = CultureInfo.InvariantCulture;
        var pairing = RunPairs.Of(runs, r => r.Spec);
        if (pairing.Pairs.Count == 0)
            return [];
        var variants = runs
            .GroupBy(r => (Condition: PairCondition.Of(r.Spec), r.Spec.Flavour, ZeroInit: r.Spec.EffectiveZeroInitLast))
            .Select(g => new Arm(g.Key.Condition, g.Key.Flavour, g.Key.ZeroInit, g.Average(r => r.Summary.FinalValTop1) * 100, g.Select(r => r.Summary.ModelSha256).ToArray()))
            .OrderBy(v => v.Condition, PairCondition.Order).ThenBy(v => v.ZeroInit).ThenBy(v => v.Flavour)
            .ToArray();

        int seeds = runs.Select(r => r.Spec.Seed).Distinct().Count();
        var all = variants.Select(v => v.Condition).Distinct().ToArray();
        var lengths = all.Select(v => v.Epochs).Distinct().Order().ToArray();
        bool severalLengths = lengths.Length > 1, severalSettings = Setting(all[0], all).Length > 0;
        var archs = all.Select(v => v.Arch).Distinct().Order().ToArray();
        string depths = archs is [ResNetArch.ResNet18] ? "" : ListText.And(archs.Select(a => a.Name())) + " at ";
        bool fullSplit = runs.All(r => r.Spec.TrainPerClass is null && r.Spec.ValPerClass is null && r.Spec.MaxStepsPerEpoch is null);
        var lines = new List<string>
        {
            string.Create(c, $"**Why does timm's ResNet18 train worse than torchvision's in short runs?** Here: {depths}{string.Join(", ", lengths)} epochs from scratch at {pipeline.ImageSize} px, ") +
            (fullSplit ? "the full Imagenette train split, " : "a slice of Imagenette (a plumbing check: these numbers answer nothing), ") +
            (seeds == 1 ? "one seed" : $"{seeds} seeds, means") + ", val top-1 on " + (fullSplit ? "all 3,925 val images." : "the slice."),
            "",
            (severalSettings ? "| condition " : "") + (severalLengths ? "| epochs " : "") + "| variant | zero-init of each block's last BN γ | val top-1 |",
            (severalSettings ? "|---" : "") + (severalLengths ? "|---" : "") + "|---|---|---|",
        };
        lines.AddRange(variants.Select(v => (severalSettings ? $"| {Setting(v.Condition, all)} " : "") + (severalLengths ? $"| {v.Condition.Epochs} " : "") +
                                            $"| {Name(v.Flavour, v.ZeroInit)} | {(v.ZeroInit ? "yes" : "no")} | {NumberText.Fixed(v.Top1)} % |"));
        lines.Add("");

        if (!fullSplit)
        {
            // A slice trains too little for a gap to mean anything: say so instead of stating a cost.
            var (off, on) = MeanTop1(pairing.Pairs);
            lines.Add($"The gap on this slice ({NumberText.Fixed(off - on)} pp; chance is 10 %) is not a result: models this small and short learn next to nothing. " +
                      "`dotnet cake` runs the main job, which answers the question.");
            lines.AddRange(LeftOut(pairing));
            return lines;
        }
        var conditions = pairing.ByCondition.ToArray();
        foreach (var condition in conditions)
        {
            var (off, on) = MeanTop1(condition.ToArray());
            int epochs = condition.Key.Epochs;
            string effect = off >= on ? $"costs {NumberText.Fixed(off - on)} pp" : $"gains {NumberText.Fixed(on - off)} pp";
            lines.Add(string.Create(c, $"**Zero-initialising the last BatchNorm γ of every residual block {effect}** of top-1 after {epochs} epochs{Qualifier(condition.Key, all)}: ") +
                      $"{NumberText.Fixed(off)} % without it, {NumberText.Fixed(on)} % with it (chance: 10 %). timm does it by default (`zero_init_last=True`), torchvision does not (`zero_init_residual=False`).");
            var underIt = variants.Where(v => v.Condition == condition.Key).ToArray();
            var timmOn = underIt.FirstOrDefault(v => v.Flavour == ResNetFlavour.Timm && v.ZeroInit);
            var timmOff = underIt.FirstOrDefault(v => v.Flavour == ResNetFlavour.Timm && !v.ZeroInit);
            var torchvisionOff = underIt.FirstOrDefault(v => v.Flavour == ResNetFlavour.Torchvision && !v.ZeroInit);
            if (timmOn is not null && timmOff is not null)
            {
                string same = torchvisionOff is not null && torchvisionOff.Weights.SequenceEqual(timmOff.Weights)
                    ? $": exactly torchvision's {NumberText.Fixed(torchvisionOff.Top1)} %, with the same weights (same SHA-256), so the flag is the whole difference between the libraries"
                    : "";
                lines.Add($"**Flipping timm's flag** (`zero_init_last=False`) moves it from {NumberText.Fixed(timmOn.Top1)} % to {NumberText.Fixed(timmOff.Top1)} %{same}.");
            }
        }
        lines.AddRange(LeftOut(pairing));
        if (seeds == 1)
            lines.Add("This is one seed of a small, quick version. The seeded results with confidence intervals, the long-run test and the residual branches waking up are in docs/results/README.md; the reference setting (5 epochs, 128 px) is `dotnet cake --target=Reproduce`.");
        return lines;
    }

    /// <summary>Each arm's mean final top-1 in percent over <paramref name="pairs"/>: one run per seed and arm.</summary>
    private static (double Off, double On) MeanTop1(IReadOnlyList<RunPair<(RunSpec Spec, RunSummary Summary)>> pairs) =>
        (pairs.Average(p => p.Off.Summary.FinalValTop1) * 100, pairs.Average(p => p.On.Summary.FinalValTop1) * 100);

    /// <summary>What sets <paramref name="condition"/> apart from the others beside its length (depth, recipe, peak learning rate), in brackets; nothing when only the length varies.</summary>
    private static string Qualifier(PairCondition condition, IReadOnlyList<PairCondition> all) =>
        Setting(condition, all) is { Length: > 0 } setting ? $" ({setting})" : "";

    /// <summary>"resnet50, sgd at peak lr 0.025": the settings besides the length in which <paramref name="all"/> differ, as <paramref name="condition"/> has them; "" when only the length varies.</summary>
    private static string Setting(PairCondition condition, IReadOnlyList<PairCondition> all)
    {
        var parts = new List<string>();
        if (all.Select(c => c.Arch).Distinct().Count() > 1)
            parts.Add(condition.Arch.Name());
        if (all.Select(c => c.Head).Distinct().Count() > 1)
            parts.Add($"{condition.Head.ToString().ToLowerInvariant()} head");
        if (all.Select(c => (c.Recipe, c.LrMax)).Distinct().Count() > 1)
            parts.Add($"{condition.Recipe} at peak lr {condition.LrMax.ToString("R", CultureInfo.InvariantCulture)}");
        return string.Join(", ", parts);
    }

    /// <summary>The runs in no gap, named: a run whose partner has not trained yet, or never will.</summary>
    private static IEnumerable<string> LeftOut(PairedRuns<(RunSpec Spec, RunSummary Summary)> pairing) =>
        pairing.Unpaired.Count == 0 ? [] :
        [$"Left out of the gaps, with no run of the other flag at their seed, length, depth and recipe: {string.Join(", ", pairing.Unpaired.Select(r => $"`{r.Spec.Name}`"))}."];

    /// <summary>One variant under one condition: its mean top-1 over its seeds and each seed's weights.</summary>
    private sealed record Arm(PairCondition Condition, ResNetFlavour Flavour, bool ZeroInit, double Top1, string[] Weights);

    private static string Name(ResNetFlavour flavour, bool zeroInit) => (flavour, zeroInit) switch
    {
        (ResNetFlavour.Torchvision, false) => "torchvision default",
        (ResNetFlavour.Torchvision, true) => "torchvision, `zero_init_residual=True`",
        (ResNetFlavour.Timm, true) => "timm default",
        _ => "timm, `zero_init_last=False`",
    };
}
