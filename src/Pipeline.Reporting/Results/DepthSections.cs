using Pipeline.Experiments;
using Pipeline.Reporting.Documents;
using static Pipeline.NumberText;

namespace Pipeline.Reporting.Results;

/// <summary>
/// One part of the depth experiment (docs/design/zero-init-depth.md): a pipeline over depths, peak learning rates or
/// recipe "sgd". Its conditions, each with its arms, gap, bounds and claim, and how far each arm is from memorising
/// the training set. The hypotheses, which join the parts, are <see cref="DepthAnalysisSection"/>'s.
/// </summary>
public sealed class DepthPartSection : IExperimentSection
{
    public bool Covers(ExperimentPipeline pipeline) =>
        pipeline.Arch.Any(a => a != ResNetArch.ResNet18) || pipeline.LrMax is not null || pipeline.RecipeName == Recipe.Sgd.Name;

    public IEnumerable<Block> Build(ExperimentResults results)
    {
        var pipeline = results.Pipeline;
        yield return new Heading(3, $"{pipeline.Description.TrimEnd('.')} ({pipeline.Name})");
        foreach (var block in PublicationStatus.Of(results))
            yield return block;
        if (results.Lengths.Count > 0)
            yield return ConditionTable(results.Lengths);
    }

    /// <summary>
    /// Each condition's arms and gap with the two-sided 95 % interval, the one-sided bounds and the claim they support,
    /// the minimum detectable effect, and the arms' top-1 on the training split (eval mode, centre crops).
    /// </summary>
    internal static Table ConditionTable(IEnumerable<LengthResult> conditions) => new(
        [new("depth"), new("recipe"), new("px"), new("epochs"), new("seeds"), new("off"), new("on"), new("gap off − on (pp)"), new("95 % CI (t)"),
         new("one-sided 95 % bounds"), new("claim"), new("minimum detectable effect"), new("train-split top-1 off / on")],
        conditions.Select(c => new Row(
        [
            c.Condition.Arch.ToString(), ConditionResults.RecipeText(c.Condition.Recipe, c.Condition.LrMax), Fixed(c.Condition.ImageSize, "0"), Fixed(c.Epochs, "0"), Fixed(c.Pairs.Count, "0"),
            ShortRunSection.PlusMinus(c.Off), ShortRunSection.PlusMinus(c.On), Signed(c.Gap.Spread.Mean), $"[{Signed(c.Gap.TLow)}, {Signed(c.Gap.THigh)}]",
            $"≥ {Signed(c.Gap.OneSidedLow)} / ≤ {Signed(c.Gap.OneSidedHigh)}", LongRunSection.VerdictText(c.Gap.Verdict), Fixed(c.Gap.MinimumDetectableEffect),
            $"{Memorised(c.Pairs.Select(p => p.Off))} / {Memorised(c.Pairs.Select(p => p.On))}",
        ])).ToArray());

    /// <summary>The arm's mean top-1 on the whole training split in eval mode, as its runs recorded it at the end; a dash where none did.</summary>
    internal static string Memorised(IEnumerable<PublishedRun> runs)
    {
        var values = runs.Select(r => r.Summary.TrainEvalTop1).OfType<double>().ToArray();
        return values.Length == 0 ? Missing : Percent(values.Average());
    }
}

/// <summary>
/// The depth experiment across its parts and the fastai long run: the design in brief, the three hypotheses with their
/// verdicts and intervals (as docs/design/zero-init-depth.md fixed them before the runs), the trend of the gap for each
/// depth and recipe with both forms, how far each condition is from memorising the training set, and the residual
/// branches per depth.
/// </summary>
public sealed class DepthAnalysisSection : IPageSection
{
    private static readonly Recipe Sgd = Recipe.Sgd, Fastai = Recipe.FastaiReference;

    public IEnumerable<Block> Build(IReadOnlyList<ExperimentResults> experiments)
    {
        var parts = experiments.Where(e => new DepthPartSection().Covers(e.Pipeline)).ToArray();
        if (parts.Length == 0)
            yield break;
        var cells = new ConditionResults(experiments);
        yield return new Heading(2, "Where zero-init wins: depth, recipe, learning rate and length");
        yield return new Paragraph(
            $"Design, fixed before the first run: [docs/design/zero-init-depth.md](../design/zero-init-depth.md). Recipe `sgd` is SGD with Nesterov momentum 0.9, peak lr {Fixed(Sgd.LrMax, "0.###")} at batch 64 " +
            $"(torchvision's 0.1 per 256 images), a linear warm-up over the first {Fixed(Sgd.PctStart * 100, "0")} % of steps then cosine decay to 0, weight decay {Fixed(Sgd.WeightDecay, "0.#####")} off BatchNorm and biases, " +
            $"label smoothing {Fixed(Sgd.LabelSmoothing, "0.#")}, RandomResizedCrop (scale {Fixed(Sgd.CropScaleMin, "0.##")}–1) and a horizontal flip: the regime zero-init was made for (Goyal et al. 2017; He et al. 2019). " +
            "The fastai side is the long run's recipe. Every condition is flag off vs on, torchvision flavour, paired seeds 42, 43, 44, 64 px, bf16 on a CPU with native bf16.");
        foreach (var block in Hypotheses(cells))
            yield return block;
        foreach (var block in Trends(cells))
            yield return block;
        yield return new Heading(3, "How far each condition is from memorising the training set");
        yield return new Paragraph(
            "Top-1 and loss on the whole training split in eval mode on centre crops (as val is scored), recorded at the end of each run, beside val. " +
            "A train-split top-1 near 100 % with a loss near 0 is a run that memorised its training images; runs published before this was measured show a dash, " +
            "and their last epoch's training loss (train mode, on augmented crops) stands beside.");
        yield return Memorisation(cells);
        foreach (var block in ResidualBranches(cells))
            yield return block;
    }

    /// <summary>H1–H3 as the design states them, each with its verdict, interval and minimum detectable effect.</summary>
    private static IEnumerable<Block> Hypotheses(ConditionResults cells)
    {
        yield return new Heading(3, "The hypotheses");
        var r18 = cells.At(ResNetArch.ResNet18, Sgd, 40);
        var r34 = cells.At(ResNetArch.ResNet34, Sgd, 40);
        var r50 = cells.At(ResNetArch.ResNet50, Sgd, 40);
        var depth = ConditionResults.Difference(r50, r18);
        bool ordered = r18 is not null && r34 is not null && r50 is not null && r18.Gap.Spread.Mean > r34.Gap.Spread.Mean && r34.Gap.Spread.Mean > r50.Gap.Spread.Mean;
        string h1 = depth is null ? "**not measured yet** (needs ResNet18 and ResNet50 at 40 epochs with two shared seeds)"
            : depth.OneSidedHigh < 0 && ordered ? "**confirmed**"
            : depth.OneSidedLow > 0 ? "**refuted**"
            : depth.OneSidedHigh < 0 ? "**undecided**: ResNet50's gap is below ResNet18's, but ResNet34 is not measured or not between them"
            : "**undecided**";
        var h2Cases = new[] { (ResNetArch.ResNet18, 20), (ResNetArch.ResNet18, 40), (ResNetArch.ResNet50, 20) }
            .Select(c => (c.Item1, c.Item2, D: ConditionResults.Difference(cells.At(c.Item1, Sgd, c.Item2), cells.At(c.Item1, Fastai, c.Item2)))).ToArray();
        string H2Verdict(PairedComparison? d) => d is null ? "not measured yet" : d.OneSidedHigh < 0 ? "confirmed" : d.OneSidedLow > 0 ? "refuted" : "undecided";
        string h2 = h2Cases.All(c => H2Verdict(c.D) == "confirmed") ? "**confirmed**" : h2Cases.Any(c => c.D is null) ? "**incomplete**" : "**not confirmed**";
        var lrs = new[] { Sgd.LrMax / 4, Sgd.LrMax, Sgd.LrMax * 4 }.Select(lr => cells.At(ResNetArch.ResNet18, Sgd with { LrMax = lr }, 20)).ToArray();
        var h3Pairs = new[] { (2, 0), (0, 1), (2, 1) }.Select(p => (p, D: ConditionResults.Difference(lrs[p.Item1], lrs[p.Item2]))).ToArray();
        string h3 = h3Pairs.All(p => p.D is null) ? "**not measured yet**"
            : h3Pairs.Any(p => p.D is { } d && BonferroniExcludesZero(d)) ? "**confirmed** (the gap depends on the peak lr)"
            : h3Pairs.All(p => p.D is { } d && WithinOnePp(d)) ? "**refuted** (no dependence larger than 1 pp)"
            : "**undecided**";
        yield return new BulletList(
        [
            $"**H1, depth**: under recipe sgd at 40 epochs the gap decreases with depth, ResNet18 > ResNet34 > ResNet50: {h1}. " +
            $"Gaps: ResNet18 {GapText(r18)}, ResNet34 {GapText(r34)}, ResNet50 {GapText(r50)}. " +
            (depth is null ? "" : $"ResNet50 − ResNet18, by seed: {Signed(depth.Spread.Mean)} pp, one-sided 95 % bounds ≥ {Signed(depth.OneSidedLow)} / ≤ {Signed(depth.OneSidedHigh)}, minimum detectable effect {Fixed(depth.MinimumDetectableEffect)} pp."),
            $"**H2, recipe**: at equal depth and length the gap under sgd is smaller than under fastai's recipe: {h2}. " +
            string.Join("; ", h2Cases.Select(c => $"{c.Item1} at {c.Item2} epochs: {H2Verdict(c.D)}" +
                (c.D is { } d ? $" (sgd − fastai, by seed: {Signed(d.Spread.Mean)} pp, ≤ {Signed(d.OneSidedHigh)} one-sided, minimum detectable effect {Fixed(d.MinimumDetectableEffect)})" : ""))) + ".",
            $"**H3, learning rate** (two-sided): the ResNet18 gap at 20 epochs depends on the peak lr ({string.Join(", ", new[] { Sgd.LrMax / 4, Sgd.LrMax, Sgd.LrMax * 4 }.Select(lr => Fixed(lr, "0.#####")))}): {h3}. " +
            $"Gaps: {string.Join(", ", lrs.Select((l, i) => $"{Fixed(new[] { Sgd.LrMax / 4, Sgd.LrMax, Sgd.LrMax * 4 }[i], "0.#####")}: {GapText(l)}"))}. " +
            string.Join("; ", h3Pairs.Where(p => p.D is not null).Select(p => $"lr ×{Fixed(Math.Pow(4, p.p.Item1 - 1), "0.##")} − lr ×{Fixed(Math.Pow(4, p.p.Item2 - 1), "0.##")}: {Signed(p.D!.Spread.Mean)} pp, 98.3 % CI {Interval(p.D, 1 - 0.05 / 3)}")),
        ]);
        yield return new Paragraph(
            "Rules, as the design fixed them: a gap's claim rests on one-sided 95 % t bounds over the paired seeds; H1 compares ResNet50's and ResNet18's gaps seed by seed; " +
            "H2 compares each case's sgd and fastai gaps seed by seed and is confirmed when all three cases are; H3 is confirmed when a Bonferroni-corrected 98.3 % interval of a difference " +
            "between learning rates excludes zero and refuted when every 90 % interval lies within ±1 pp. Minimum detectable effect: " + PairedComparison.MinimumDetectableEffectMethod + ".");
    }

    private static string GapText(LengthResult? c) => c is null ? "not measured" :
        $"{Signed(c.Gap.Spread.Mean)} pp ({LongRunSection.SeedsText(c.Pairs.Count)}, {LongRunSection.VerdictText(c.Gap.Verdict)})";

    private static string Interval(PairedComparison d, double confidence)
    {
        double half = TInterval.HalfWidth(d.Spread, confidence);
        return $"[{Signed(d.Spread.Mean - half)}, {Signed(d.Spread.Mean + half)}]";
    }

    private static bool BonferroniExcludesZero(PairedComparison d)
    {
        double half = TInterval.HalfWidth(d.Spread, 1 - 0.05 / 3);
        return d.Spread.Mean - half > 0 || d.Spread.Mean + half < 0;
    }

    private static bool WithinOnePp(PairedComparison d)
    {
        double half = TInterval.HalfWidth(d.Spread, 0.90);
        return d.Spread.Mean - half > -1 && d.Spread.Mean + half < 1;
    }

    /// <summary>Each depth and recipe measured at three lengths or more: its conditions, and the trend in both forms.</summary>
    private static IEnumerable<Block> Trends(ConditionResults cells)
    {
        yield return new Heading(3, "Every condition measured");
        yield return DepthPartSection.ConditionTable(cells.All);
        foreach (var line in cells.Lines.Where(l => l.Count() >= GapTrend.MinimumLengths))
        {
            var lengths = line.ToArray();
            yield return new Paragraph($"**{ConditionResults.Describe(lengths[0].Condition)}**, by length:");
            foreach (var block in LongRunSection.TrendParagraphs(ExperimentResults.TrendsOf(lengths), lengths))
                yield return block;
        }
    }

    /// <summary>Every condition's memorisation: train-split top-1 and loss (eval mode) beside val, per arm.</summary>
    private static Table Memorisation(ConditionResults cells) => new(
        [new("depth"), new("recipe"), new("px"), new("epochs"), new("arm"), new("val top-1"), new("train-split top-1"), new("train-split loss"), new("last epoch's training loss")],
        cells.All.SelectMany(c => new[] { ("off", c.Pairs.Select(p => p.Off).ToArray()), ("on", c.Pairs.Select(p => p.On).ToArray()) }.Select(arm => new Row(
        [
            c.Condition.Arch.ToString(), ConditionResults.RecipeText(c.Condition.Recipe, c.Condition.LrMax), Fixed(c.Condition.ImageSize, "0"), Fixed(c.Epochs, "0"), arm.Item1,
            Fixed(arm.Item2.Average(r => r.Top1)), DepthPartSection.Memorised(arm.Item2),
            arm.Item2.Select(r => r.Summary.TrainEvalLoss).OfType<double>().ToArray() is { Length: > 0 } losses ? Fixed(losses.Average(), "0.0000") : Missing,
            Fixed(arm.Item2.Average(r => r.Epochs.Count > 0 ? r.Epochs[^1].TrainLoss : double.NaN), "0.0000"),
        ]))).ToArray());

    /// <summary>Per depth under recipe sgd, the residual branches over the longest runs measured, on a log axis.</summary>
    private static IEnumerable<Block> ResidualBranches(ConditionResults cells)
    {
        var lines = cells.Lines.Where(l => l.Key.Recipe == Sgd.Name && l.Key.LrMax == Sgd.LrMax).ToArray();
        if (lines.Length == 0)
            yield break;
        yield return new Heading(3, "The residual branches, per depth");
        foreach (var line in lines)
        {
            var lengths = line.ToArray();
            yield return new Paragraph($"**{ConditionResults.Describe(lengths[0].Condition)}**:");
            foreach (var block in LongRunSection.Plateau(lengths, $"zero-init-depth-{line.Key.Arch.Name()}-contribution-by-epoch.svg"))
                yield return block;
        }
    }
}

/// <summary>
/// The page's opening: the answer as far as it is measured, for every depth and recipe on the page. Short runs: what
/// zero-init costs. Longer runs: at each length, the claim the one-sided bounds support, and where the better trend
/// puts the crossing. Then what is planned but not measured yet.
/// </summary>
public sealed class AnswerMapSection : IPageSection
{
    public const string Title = "The answer so far";

    public IEnumerable<Block> Build(IReadOnlyList<ExperimentResults> experiments)
    {
        var map = Map(experiments).ToArray();
        if (map.Length == 0)
            yield break;
        yield return new Heading(2, Title);
        foreach (var block in map)
            yield return block;
    }

    /// <summary>
    /// The map itself, which the repository's README opens with as well (<see cref="ReadmeAnswerMap"/>): a bullet per
    /// depth and recipe, what to choose, and how a claim is read. Nothing when no condition is measured.
    /// </summary>
    public static IEnumerable<Block> Map(IReadOnlyList<ExperimentResults> experiments)
    {
        var cells = new ConditionResults(experiments);
        if (cells.All.Count == 0)
            yield break;
        var items = new List<string>();
        var shortRun = experiments.FirstOrDefault(e => e.Pipeline.Epochs.Count == 1 && !new DepthPartSection().Covers(e.Pipeline) && e.Lengths.Count > 0);
        if (shortRun is not null)
        {
            var l = shortRun.Lengths[0];
            items.Add($"**Short runs**: zeroing each block's last γ costs **{Signed(l.Gap.Spread.Mean)} pp** of top-1 after {l.Epochs} epochs from scratch " +
                      $"({ConditionResults.Describe(l.Condition)}, {l.Pairs.Count} paired seeds; 95 % CI [{Signed(l.Gap.TLow)}, {Signed(l.Gap.THigh)}]; " +
                      $"{LongRunSection.VerdictText(l.Gap.Verdict)}, one-sided 95 % bounds ≥ {Signed(l.Gap.OneSidedLow)}, ≤ {Signed(l.Gap.OneSidedHigh)})");
        }
        foreach (var line in cells.Lines.Where(l => shortRun is null || l.Key != shortRun.Lengths[0].Line))
        {
            var lengths = line.ToArray();
            var better = GapTrend.Better(ExperimentResults.TrendsOf(lengths));
            items.Add($"**{ConditionResults.Describe(lengths[0].Condition)}**: " +
                      string.Join("; ", lengths.Select(c => $"{c.Epochs} epochs {Signed(c.Gap.Spread.Mean)} pp, {LongRunSection.ClaimText(c)}")) +
                      (better is null ? "" : $". Trend ({better.FormText}, the better fit): {Signed(better.Predicted)} pp at {better.AtEpochs} epochs, 95 % prediction interval [{Signed(better.PredictionLow)}, {Signed(better.PredictionHigh)}]" +
                          (double.IsFinite(better.CrossingEpochs) && better.CrossingEpochs < 1e6 && better.CrossingEpochs > lengths[^1].Epochs ? $"; its line crosses zero near {Fixed(better.CrossingEpochs, "0")} epochs" : "")));
        }
        var planned = experiments.SelectMany(e => e.Pipeline.Runs()).Select(PairCondition.Of)
            .Select(c => (c.Arch, c.Recipe, c.LrMax, c.ImageSize, c.Epochs)).Distinct()
            .Where(c => !cells.All.Any(m => (m.Condition.Arch, m.Condition.Recipe, m.Condition.LrMax, m.Condition.ImageSize, m.Epochs) == c)).ToArray();
        if (planned.Length > 0)
            items.Add("**Not measured yet** (planned, no seed with both arms published): " +
                      string.Join("; ", planned.GroupBy(c => (c.Arch, c.Recipe, c.LrMax, c.ImageSize))
                          .Select(g => $"{g.Key.Arch}, {ConditionResults.RecipeText(g.Key.Recipe, g.Key.LrMax)}, {g.Key.ImageSize} px at {string.Join(", ", g.Select(c => c.Epochs).Order())} epochs")));
        items.Add("**With pretrained weights the flag is irrelevant**: loaded from one PyTorch-made ResNet18 checkpoint and fine-tuned on the same batches, " +
                  "torchvision's and timm's ResNet18 with zero-init off and on end with bit-identical weights (one model.bin SHA-256 for all four), because the checkpoint " +
                  "overwrites every γ the flag would zero; from scratch the same test sees the flag change the weights " +
                  "(`OwnDataTrainingTests.From_an_imported_checkpoint_both_flavours_with_either_zero_init_flag_fine_tune_to_bit_identical_weights`).");
        yield return new BulletList([.. items]);
        yield return new Paragraph(Choice(cells));
        yield return new Paragraph(
            "A claim is read from one-sided 95 % t bounds over the paired seeds (gap = zero-init off − on): *costs* when the lower bound is above 0, *wins* when the upper bound is below 0, " +
            "*undecided* otherwise. A trend is an extrapolation: a reason to train a length, not a result.");
    }

    /// <summary>
    /// What a user should set, in plain words, read from each measured condition's claim and nothing else: on where
    /// zero-init wins, off where it costs, no difference shown where the bounds straddle zero (with the gap and what the
    /// seeds could have missed), and no advice where one seed gives no interval. Trends are left out: they are not results.
    /// </summary>
    internal static string Choice(ConditionResults cells)
    {
        var byClaim = cells.All.ToLookup(c => c.Gap.Verdict);
        string Where(GapVerdict claim, Func<LengthResult, string>? note = null) =>
            string.Join("; ", byClaim[claim].GroupBy(c => c.Line).Select(line => $"{ConditionResults.Describe(line.First().Condition)} at " + (note is null
                ? $"{ListText.And(line.Select(c => Fixed(c.Epochs, "0")))} epochs"
                : ListText.And(line.Select(c => $"{Fixed(c.Epochs, "0")} epochs ({note(c)})")))));
        var sentences = new List<string>();
        if (byClaim[GapVerdict.ZeroInitWins].Any())
            sentences.Add($"Use zero-init (**on**, timm's default) for {Where(GapVerdict.ZeroInitWins)}: it wins there.");
        if (byClaim[GapVerdict.ZeroInitCosts].Any())
            sentences.Add($"Leave zero-init **off** (torchvision's default) for {Where(GapVerdict.ZeroInitCosts)}: it costs there.");
        if (byClaim[GapVerdict.Undecided].Any())
            sentences.Add($"No difference shown yet for {Where(GapVerdict.Undecided, c => $"gap {Signed(c.Gap.Spread.Mean)} pp; a true gap under {Fixed(c.Gap.MinimumDetectableEffect)} pp, the minimum detectable effect, is detected less than 80 % of the time")}: " +
                          "the seeds cannot tell the settings apart, and a cost or a win smaller than that may be there.");
        if (byClaim[GapVerdict.NoInterval].Any())
            sentences.Add($"No advice yet for {Where(GapVerdict.NoInterval)}: one seed, no interval.");
        sentences.Add("From a pretrained ResNet18 checkpoint the flag changes nothing.");
        return "**What to choose, as measured so far.** " + string.Join(" ", sentences);
    }
}
