using System.Globalization;

namespace Pipeline.Experiments;

/// <summary>
/// The project's question answered from an experiment's own runs, in Markdown lines the console prints and the
/// report opens with: each variant's top-1, what zero-init costs, and what flipping a library's flag does.
/// </summary>
public static class ZeroInitAnswer
{
    /// <summary>
    /// The answer, or no lines when no training length holds a seed with both settings of the flag. A pipeline with
    /// several lengths gets an epochs column and one cost per length: a gap is only ever taken between runs of the same
    /// length and seed, never across lengths or from one arm's unpaired seeds.
    /// </summary>
    public static IReadOnlyList<string> For(ExperimentPipeline pipeline, IReadOnlyList<(RunSpec Spec, RunSummary Summary)> runs)
    {
        var c = CultureInfo.InvariantCulture;
        var variants = runs
            .GroupBy(r => (r.Spec.Flavour, ZeroInit: r.Spec.EffectiveZeroInitLast, r.Spec.Epochs))
            .Select(g => new Arm(g.Key.Flavour, g.Key.ZeroInit, g.Key.Epochs, g.Average(r => r.Summary.FinalValTop1) * 100, g.Select(r => r.Summary.ModelSha256).ToArray()))
            .OrderBy(v => v.Epochs).ThenBy(v => v.ZeroInit).ThenBy(v => v.Flavour)
            .ToArray();
        var paired = runs.GroupBy(r => r.Spec.Epochs).OrderBy(g => g.Key)
            .Select(g => (Epochs: g.Key, Runs: g.GroupBy(r => r.Spec.Seed)
                .Where(s => s.Any(r => r.Spec.EffectiveZeroInitLast) && s.Any(r => !r.Spec.EffectiveZeroInitLast))
                .SelectMany(s => s).ToArray()))
            .Where(l => l.Runs.Length > 0)
            .ToArray();
        if (paired.Length == 0)
            return [];

        int seeds = runs.Select(r => r.Spec.Seed).Distinct().Count();
        var lengths = variants.Select(v => v.Epochs).Distinct().ToArray();
        bool severalLengths = lengths.Length > 1;
        bool fullSplit = runs.All(r => r.Spec.TrainPerClass is null && r.Spec.ValPerClass is null && r.Spec.MaxStepsPerEpoch is null);
        var lines = new List<string>
        {
            string.Create(c, $"**Why does timm's ResNet18 train worse than torchvision's in short runs?** Here: {string.Join(", ", lengths)} epochs from scratch at {pipeline.ImageSize} px, ") +
            (fullSplit ? "the full Imagenette train split, " : "a slice of Imagenette (a plumbing check: these numbers answer nothing), ") +
            (seeds == 1 ? "one seed" : $"{seeds} seeds, means") + ", val top-1 on " + (fullSplit ? "all 3,925 val images." : "the slice."),
            "",
            severalLengths ? "| epochs | variant | zero-init of each block's last BN γ | val top-1 |" : "| variant | zero-init of each block's last BN γ | val top-1 |",
            severalLengths ? "|---|---|---|---|" : "|---|---|---|",
        };
        lines.AddRange(variants.Select(v => (severalLengths ? $"| {v.Epochs} " : "") + string.Create(c, $"| {Name(v.Flavour, v.ZeroInit)} | {(v.ZeroInit ? "yes" : "no")} | {NumberText.Fixed(v.Top1)} % |")));
        lines.Add("");

        if (!fullSplit)
        {
            // A slice trains too little for a gap to mean anything: say so instead of stating a cost.
            var all = paired.SelectMany(l => l.Runs).ToArray();
            double off = MeanTop1(all, zeroInit: false), on = MeanTop1(all, zeroInit: true);
            lines.Add(string.Create(c, $"The gap on this slice ({NumberText.Fixed(off - on)} pp; chance is 10 %) is not a result: models this small and short learn next to nothing. ") +
                      "`dotnet cake` runs the main job, which answers the question.");
            return lines;
        }
        foreach (var (epochs, lengthRuns) in paired)
        {
            double off = MeanTop1(lengthRuns, zeroInit: false), on = MeanTop1(lengthRuns, zeroInit: true);
            string effect = off >= on ? string.Create(c, $"costs {NumberText.Fixed(off - on)} pp") : string.Create(c, $"gains {NumberText.Fixed(on - off)} pp");
            lines.Add(string.Create(c, $"**Zero-initialising the last BatchNorm γ of every residual block {effect}** of top-1 after {epochs} epochs: ") +
                      string.Create(c, $"{NumberText.Fixed(off)} % without it, {NumberText.Fixed(on)} % with it (chance: 10 %). timm does it by default (`zero_init_last=True`), torchvision does not (`zero_init_residual=False`)."));
            var atLength = variants.Where(v => v.Epochs == epochs).ToArray();
            var timmOn = atLength.FirstOrDefault(v => v.Flavour == ResNetFlavour.Timm && v.ZeroInit);
            var timmOff = atLength.FirstOrDefault(v => v.Flavour == ResNetFlavour.Timm && !v.ZeroInit);
            var torchvisionOff = atLength.FirstOrDefault(v => v.Flavour == ResNetFlavour.Torchvision && !v.ZeroInit);
            if (timmOn is not null && timmOff is not null)
            {
                string same = torchvisionOff is not null && torchvisionOff.Weights.SequenceEqual(timmOff.Weights)
                    ? string.Create(c, $": exactly torchvision's {NumberText.Fixed(torchvisionOff.Top1)} %, with the same weights (same SHA-256), so the flag is the whole difference between the libraries")
                    : "";
                lines.Add(string.Create(c, $"**Flipping timm's flag** (`zero_init_last=False`) moves it from {NumberText.Fixed(timmOn.Top1)} % to {NumberText.Fixed(timmOff.Top1)} %{same}."));
            }
        }
        if (seeds == 1)
            lines.Add("This is one seed of a small, quick version. The seeded results with confidence intervals, the long-run test and the residual branches waking up are in docs/results/README.md; the reference setting (5 epochs, 128 px) is `dotnet cake --target=Reproduce`.");
        return lines;
    }

    /// <summary>The mean final top-1 in percent of the runs with the flag set as given.</summary>
    private static double MeanTop1(IEnumerable<(RunSpec Spec, RunSummary Summary)> runs, bool zeroInit) =>
        runs.Where(r => r.Spec.EffectiveZeroInitLast == zeroInit).Average(r => r.Summary.FinalValTop1) * 100;

    /// <summary>One variant at one length: its mean top-1 over its seeds and each seed's weights.</summary>
    private sealed record Arm(ResNetFlavour Flavour, bool ZeroInit, int Epochs, double Top1, string[] Weights);

    private static string Name(ResNetFlavour flavour, bool zeroInit) => (flavour, zeroInit) switch
    {
        (ResNetFlavour.Torchvision, false) => "torchvision default",
        (ResNetFlavour.Torchvision, true) => "torchvision, `zero_init_residual=True`",
        (ResNetFlavour.Timm, true) => "timm default",
        _ => "timm, `zero_init_last=False`",
    };
}
