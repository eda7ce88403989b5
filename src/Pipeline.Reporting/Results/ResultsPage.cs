using System.Globalization;
using System.Text;
using System.Text.Json;
using Pipeline.Experiments;
using static Pipeline.Experiments.NumberText;

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

/// <summary>
/// The experiment's results page (<c>docs/results/README.md</c>), its SVG plots and a JSON summary, generated from the
/// published run records alone: the same records always give the same bytes, so the page is regenerated, never edited.
/// </summary>
public static class ResultsPage
{
    public const string PageFile = "README.md";
    public const string JsonFile = "results.json";

    /// <summary>The published single runs (fastai's Imagenette comparison, 5 epochs, 256 px), percent top-1.</summary>
    private static readonly (string Variant, bool ZeroInit, double Top1)[] Published =
    [
        ("torchvision default (zero_init_residual=False)", false, 78.2),
        ("timm with zero_init_last=False", false, 78.8),
        ("timm default (zero_init_last=True)", true, 72.7),
        ("torchvision with zero_init_residual=True", true, 73.0),
    ];

    /// <summary>
    /// The experiments the page covers: every pipeline in <c>pipelines/</c> under <paramref name="root"/> that publishes its
    /// runs (names a "results" folder), each with its file relative to the root; the short-run ones (one training length,
    /// the answer) first, then by name.
    /// </summary>
    /// <exception cref="RunSpecException">A file there is not valid JSON, or not a valid pipeline; names it.</exception>
    public static IReadOnlyList<(ExperimentPipeline Pipeline, string File)> ExperimentsIn(string root)
    {
        string folder = Path.Combine(root, "pipelines");
        if (!Directory.Exists(folder))
            throw new RunSpecException($"{folder}: no such folder. Run the command from the repository's root, or name the experiment pipelines.");
        var experiments = Directory.EnumerateFiles(folder, "*.json")
            .Where(PublishesResults)
            .Select(f => Experiment(f, root))
            .OrderBy(e => e.Pipeline.Epochs.Count > 1).ThenBy(e => e.Pipeline.Name, StringComparer.Ordinal)
            .ToArray();
        return experiments.Length > 0 ? experiments
            : throw new RunSpecException($"{folder}: no pipeline there names a \"results\" folder, so there is nothing to summarise. Name the experiment pipelines.");
    }

    /// <summary>The pipeline in <paramref name="file"/>, with the file as the page names it: relative to <paramref name="root"/>.</summary>
    public static (ExperimentPipeline Pipeline, string File) Experiment(string file, string root) =>
        (ExperimentPipeline.Load(file), Path.GetRelativePath(root, Path.GetFullPath(file)).Replace('\\', '/'));

    /// <summary>Whether a file in pipelines/ (experiment pipelines, and the evaluation plan) names a "results" folder.</summary>
    private static bool PublishesResults(string file)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(file), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("results", out var results) && results.ValueKind == JsonValueKind.String && results.GetString() is { Length: > 0 };
        }
        catch (JsonException e)
        {
            throw new RunSpecException($"{file}: not valid JSON ({JsonProblem.Describe(e)}). Fix the file.");
        }
    }

    /// <summary>The page, its plots (file name → SVG) and the JSON summary, for the experiments given (pipeline, and its file as the command names it).</summary>
    /// <param name="root">The folder the pipelines' "results" paths are relative to (the repository).</param>
    public static IReadOnlyDictionary<string, string> Build(IReadOnlyList<(ExperimentPipeline Pipeline, string File)> experiments, string root)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var md = new StringBuilder();
        var json = new Dictionary<string, object>();
        string command = "pipeline results " + string.Join(" ", experiments.Select(e => e.File));
        md.AppendLine("# Results: zero-init of each residual block's last BatchNorm γ, with evidence").AppendLine();
        md.AppendLine($"Generated by `{command}` (or `dotnet cake --target=Results`) from the published run records below it; do not edit: run the command again.");
        md.AppendLine("Every number is a run's final val top-1 on the full Imagenette val split (3,925 images) unless it says otherwise; gaps are zero-init off minus on, in percentage points (pp).").AppendLine();

        var all = new List<PublishedRun>();
        foreach (var (pipeline, _) in experiments)
        {
            var runs = PublishedRun.Of(pipeline, root);
            all.AddRange(runs);
            var lengths = LengthResult.Of(RunPairs.Of(runs, r => r.Spec));
            json[pipeline.Name] = Summary(pipeline, runs, lengths);
            if (pipeline.Epochs.Count == 1)
                ShortRun(md, files, pipeline, runs, lengths);
            else
                LongRun(md, files, pipeline, runs, lengths);
        }
        Cost(md, all);
        Bf16(md, all);
        md.AppendLine("## Runs").AppendLine();
        foreach (var run in all)
            md.AppendLine(string.Create(CultureInfo.InvariantCulture, $"- [{run.Spec.Name}]({Relative(run)}/summary.md): {Fixed(run.Top1)} %{(run.Evaluation is null ? "" : $" (ML.NET {Fixed(run.MlNetTop1)} %)")}, {Fixed(run.Summary.WallSeconds / 60, "0.0")} min, project {run.Summary.Version}"));

        files[PageFile] = md.ToString();
        files[JsonFile] = JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }) + "\n";
        return files;
    }

    /// <summary>Writes every file into <paramref name="folder"/> (each atomically); returns their paths.</summary>
    public static IReadOnlyList<string> Write(string folder, IReadOnlyDictionary<string, string> files)
    {
        var paths = new List<string>();
        foreach (var (name, content) in files)
        {
            string path = Path.Combine(folder, name);
            AtomicFile.WriteText(path, content);
            paths.Add(path);
        }
        return paths;
    }

    private static void ShortRun(StringBuilder md, IDictionary<string, string> files, ExperimentPipeline pipeline, IReadOnlyList<PublishedRun> runs, IReadOnlyList<LengthResult> lengths)
    {
        var c = CultureInfo.InvariantCulture;
        int size = pipeline.ImageSize, epochs = pipeline.Epochs[0];
        md.AppendLine(string.Create(c, $"## The short-run effect: {epochs} epochs, {size} px ({pipeline.Name})")).AppendLine();
        Status(md, pipeline, runs);
        if (lengths.Count == 0)
        {
            md.AppendLine("No seed has both arms published yet.").AppendLine();
            return;
        }
        var l = lengths[0];
        var off = runs.Where(r => !r.ZeroInit).ToArray();
        var on = runs.Where(r => r.ZeroInit).ToArray();
        md.AppendLine("| arm | runs | trainer top-1, mean ± sd (bf16 validation) | ML.NET top-1 of the fp32 ONNX model, mean ± sd |");
        md.AppendLine("|---|---|---|---|");
        foreach (var (name, arm) in new[] { ("zero-init **off** (torchvision's default; timm with `zero_init_last=False`)", off), ("zero-init **on** (timm's default; torchvision with `zero_init_residual=True`)", on) })
        {
            var t = Spread.Of(arm.Select(r => r.Top1).ToArray());
            var m = Spread.Of(arm.Select(r => r.MlNetTop1).Where(double.IsFinite).ToArray());
            md.AppendLine($"| {name} | {arm.Length} | {Pm(t)} | {Pm(m)} |");
        }
        md.AppendLine();
        md.AppendLine(string.Create(c, $"**Paired gap (off − on) over {l.Pairs.Count} seeds: {Signed(l.Gap.Spread.Mean)} pp, 95 % CI [{Signed(l.Gap.TLow)}, {Signed(l.Gap.THigh)}]** ") +
                      string.Create(c, $"(Student's t on the paired differences, {l.Pairs.Count - 1} df; percentile bootstrap, {Fixed(PairedComparison.BootstrapResamples, "N0")} resamples: [{Signed(l.Gap.BootstrapLow)}, {Signed(l.Gap.BootstrapHigh)}]). ") +
                      (l.MlNetGap.Differences.Count > 1 ? $"Scored by ML.NET instead: {Signed(l.MlNetGap.Spread.Mean)} pp [{Signed(l.MlNetGap.TLow)}, {Signed(l.MlNetGap.THigh)}]. " : "") +
                      (l.Gap.Significant ? "The interval excludes zero." : "The interval includes zero: these seeds do not establish the sign."));
        md.AppendLine();
        md.AppendLine("| seed | off | on | gap (pp) | ML.NET off | ML.NET on |");
        md.AppendLine("|---|---|---|---|---|---|");
        foreach (var p in l.Pairs)
            md.AppendLine($"| {p.Seed} | {Fixed(p.Off.Top1)} | {Fixed(p.On.Top1)} | {Signed(p.Off.Top1 - p.On.Top1)} | {Fixed(p.Off.MlNetTop1)} | {Fixed(p.On.MlNetTop1)} |");
        md.AppendLine();

        // The flavours: same flag and seed must be the same network, trained to the same weights.
        var checks = runs.Where(r => r.Spec.Flavour == ResNetFlavour.Timm).Select(timm =>
            (timm, twin: runs.FirstOrDefault(r => r.Spec.Flavour == ResNetFlavour.Torchvision && r.ZeroInit == timm.ZeroInit && r.Spec.Seed == timm.Spec.Seed)))
            .Where(x => x.twin is not null).ToArray();
        if (checks.Length > 0)
        {
            md.AppendLine("**The flavours are one network.** With the same flag and seed, timm's and torchvision's module layouts train to the same weights:").AppendLine();
            foreach (var (timm, twin) in checks)
            {
                bool same = timm.Summary.ModelSha256 == twin!.Summary.ModelSha256;
                md.AppendLine($"- seed {timm.Spec.Seed}, zero-init {(timm.ZeroInit ? "on" : "off")}: timm {Fixed(timm.Top1)} %, torchvision {Fixed(twin.Top1)} %; " +
                              (same ? $"the same model.bin (SHA-256 `{timm.Summary.ModelSha256[..12]}…`)." : $"**different** weights (`{timm.Summary.ModelSha256[..12]}…` vs `{twin.Summary.ModelSha256[..12]}…`)."));
            }
            md.AppendLine();
        }

        md.AppendLine("Beside the published single runs (fastai's comparison, 256 px, one run each):").AppendLine();
        md.AppendLine("| variant | published, 256 px | here: mean of the arm |");
        md.AppendLine("|---|---|---|");
        foreach (var (variant, zeroInit, top1) in Published)
            md.AppendLine($"| {variant} | {Fixed(top1)} | {Fixed(Spread.Of((zeroInit ? on : off).Select(r => r.Top1).ToArray()).Mean)} |");
        md.AppendLine();
        md.AppendLine(string.Create(c, $"What differs: {size} px instead of 256 px (four times fewer pixels; small images favour shallow networks, which may change the size of the gap); ") +
                      "this project's Imagenette copy, whose images were squashed to 224 × 224 as a whole (aspect ratio not kept), where the original runs read full-size images; " +
                      "bf16 mixed precision on a CPU (fp32 master weights) instead of a GPU's; TorchSharp 0.107 / libtorch 2.10 instead of PyTorch and fastai of 2022. " +
                      "The recipe (fastai's Adam, one-cycle schedule, batch 64, its head) is the same.");
        md.AppendLine();

        string curves = $"{pipeline.Name}-curves.svg";
        files[curves] = Charts.ToSvg(Charts.SeedCurves(off.Where(r => r.Spec.Flavour == ResNetFlavour.Torchvision).ToArray(), on.Where(r => r.Spec.Flavour == ResNetFlavour.Torchvision).ToArray(),
            $"Val top-1 per epoch, {size} px, torchvision flavour"), 760, 420);
        md.AppendLine($"![val top-1 per epoch, both arms]({curves})").AppendLine();
        Why(md, files, pipeline, runs.Where(r => r.Spec.Flavour == ResNetFlavour.Torchvision).ToArray());
    }

    /// <summary>The residual branches waking up (issue: show why), with the per-epoch gap beside them.</summary>
    private static void Why(StringBuilder md, IDictionary<string, string> files, ExperimentPipeline pipeline, IReadOnlyList<PublishedRun> runs)
    {
        var offRuns = runs.Where(r => !r.ZeroInit).ToArray();
        var onRuns = runs.Where(r => r.ZeroInit).ToArray();
        var off = offRuns.Select(r => r.Dynamics).ToArray();
        var on = onRuns.Select(r => r.Dynamics).ToArray();
        var points = DynamicsTable.Points([.. off, .. on]);
        if (off.Length == 0 || on.Length == 0 || points.Count == 0)
            return;
        md.AppendLine("### Why: the residual branches waking up").AppendLine();
        md.AppendLine("Each run reads every residual block on the same 40 validation images (4 per class, eval mode) at initialisation, at 1/16, 1/8, 1/4 and 1/2 of the first epoch and after every epoch: " +
                      "the block's *contribution* is ‖branch output‖ / ‖shortcut output‖ (0: the block is the identity), beside the mean |γ| of its last BatchNorm. " +
                      "Lines are the mean over the arm's seeds.").AppendLine();
        double yMax = DynamicsTable.AxisMax([.. off, .. on]);
        foreach (var (arm, name) in new[] { (off, "off"), (on, "on") })
        {
            string file = $"{pipeline.Name}-contribution-zero-init-{name}.svg";
            files[file] = Charts.ToSvg(Charts.ResidualContributions(arm, $"Residual contribution per block, zero-init {name} ({arm.Length} seeds)", yMax), 760, 380);
            md.AppendLine($"![residual contribution per block, zero-init {name}]({file})").AppendLine();
        }

        md.AppendLine($"Blocks active (contribution ≥ {DynamicsTable.ActiveThreshold.ToString(CultureInfo.InvariantCulture)}, of {off[0][0].Blocks.Count}), median contribution over blocks, mean gradient norm of layer1's parameters (mean over the steps since the previous point), and the val top-1 gap where both arms validated:").AppendLine();
        md.AppendLine("| progress (epochs) | active off | active on | median contribution off | median on | grad norm layer1 off | on | top-1 gap off − on (pp) |");
        md.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (double p in points)
        {
            string gap = "";
            if (p >= 1 && p == Math.Floor(p))
            {
                var a = offRuns.Select(r => r.Epochs.FirstOrDefault(e => e.Epoch == (int)p)?.ValTop1).OfType<double>().ToArray();
                var b = onRuns.Select(r => r.Epochs.FirstOrDefault(e => e.Epoch == (int)p)?.ValTop1).OfType<double>().ToArray();
                if (a.Length > 0 && b.Length > 0)
                    gap = Signed((a.Average() - b.Average()) * 100);
            }
            md.AppendLine($"| {DynamicsTable.Label(p)} | {Fixed(DynamicsTable.MeanActiveBlocks(off, p), "0.#")} | {Fixed(DynamicsTable.MeanActiveBlocks(on, p), "0.#")} | " +
                          $"{Fixed(DynamicsTable.MedianContribution(off, p), "0.000")} | {Fixed(DynamicsTable.MedianContribution(on, p), "0.000")} | " +
                          $"{Fixed(DynamicsTable.MeanGradNorm(off, p, "layer1"), "0.000")} | {Fixed(DynamicsTable.MeanGradNorm(on, p, "layer1"), "0.000")} | {gap} |");
        }
        md.AppendLine();
        double first = points.FirstOrDefault(p => p > 0);
        int blocks = off[0][0].Blocks.Count;
        double? allActive = points.Where(p => p > 0 && DynamicsTable.MeanActiveBlocks(on, p) >= blocks).Cast<double?>().FirstOrDefault();
        md.AppendLine(
            $"In numbers: at initialisation the median contribution is {Fixed(DynamicsTable.MedianContribution(off, 0), "0.000")} without zero-init and {Fixed(DynamicsTable.MedianContribution(on, 0), "0.000")} with it; " +
            $"after {DynamicsTable.Label(first)} of an epoch {Fixed(DynamicsTable.MedianContribution(off, first), "0.000")} and {Fixed(DynamicsTable.MedianContribution(on, first), "0.000")}, " +
            $"with {Fixed(DynamicsTable.MeanActiveBlocks(on, first), "0.#")} of {blocks} zero-init blocks active; " +
            (allActive is { } all ? $"every zero-init block is active from {DynamicsTable.Label(all)} on. " : "not every zero-init block is active by the end. ") +
            $"After the last epoch: {Fixed(DynamicsTable.MedianContribution(off, points[^1]), "0.000")} and {Fixed(DynamicsTable.MedianContribution(on, points[^1]), "0.000")}.");
        md.AppendLine();
    }

    private static void LongRun(StringBuilder md, IDictionary<string, string> files, ExperimentPipeline pipeline, IReadOnlyList<PublishedRun> runs, IReadOnlyList<LengthResult> lengths)
    {
        var c = CultureInfo.InvariantCulture;
        string precision = pipeline.Precision == Precision.Auto ? "" : $", {pipeline.Precision.Name()}";
        md.AppendLine(string.Create(c, $"## The long-run claim: {string.Join(", ", pipeline.Epochs.Order())} epochs at {pipeline.ImageSize} px{precision} ({pipeline.Name})")).AppendLine();
        Status(md, pipeline, runs);
        md.AppendLine(string.Create(c, $"Caveat: {pipeline.ImageSize} px images (about a quarter of the 128 px cost); the answer is for small images, where shallow networks do comparatively well. ") +
                      "The one-cycle schedule is scaled to each length, so every length is a complete training, not a snapshot of a longer one.").AppendLine();
        if (lengths.Count == 0)
        {
            md.AppendLine("No length has a seed with both arms published yet.").AppendLine();
            return;
        }
        md.AppendLine("| epochs | seeds | off, mean ± sd | on, mean ± sd | gap off − on (pp) | 95 % CI (t) | bootstrap | smallest gap detectable at 80 % power |");
        md.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var l in lengths)
            md.AppendLine($"| {l.Epochs} | {l.Pairs.Count} | {Pm(l.Off)} | {Pm(l.On)} | {Signed(l.Gap.Spread.Mean)} | [{Signed(l.Gap.TLow)}, {Signed(l.Gap.THigh)}] | [{Signed(l.Gap.BootstrapLow)}, {Signed(l.Gap.BootstrapHigh)}] | {Fixed(l.Gap.MinimumDetectableEffect)} |");
        md.AppendLine();

        string top1 = $"{pipeline.Name}-top1.svg", gap = $"{pipeline.Name}-gap.svg";
        files[top1] = Charts.ToSvg(Charts.LongRunTop1(lengths, $"Final val top-1 by training length, {pipeline.ImageSize} px (mean, 95 % CI)"), 700, 420);
        files[gap] = Charts.ToSvg(Charts.LongRunGap(lengths, "Paired gap, zero-init off − on, by training length (mean, 95 % CI)", Trend(lengths)), 700, 380);
        md.AppendLine($"![final top-1 by length]({top1})").AppendLine();
        md.AppendLine($"![paired gap by length]({gap})").AppendLine();

        var signs = lengths.Where(l => double.IsFinite(l.Gap.Spread.Mean)).Select(l => (l.Epochs, Sign: Math.Sign(l.Gap.Spread.Mean))).ToArray();
        var cross = signs.Zip(signs.Skip(1)).FirstOrDefault(s => s.First.Sign != s.Second.Sign && s.Second.Sign != 0);
        string crossing = cross != default
            ? $"The mean gap changes sign between {cross.First.Epochs} and {cross.Second.Epochs} epochs."
            : signs.Length > 0 && signs.All(s => s.Sign > 0)
                ? $"The lines do not cross within {signs[^1].Epochs} epochs: zero-init is behind at every length measured."
                : signs.Length > 0 && signs.All(s => s.Sign < 0) ? $"Zero-init is ahead at every length measured, up to {signs[^1].Epochs} epochs." : "";
        var significant = lengths.Where(l => l.Gap.Significant).Select(l => l.Epochs.ToString(c)).ToArray();
        md.AppendLine(crossing + " " + (significant.Length > 0 ? $"The 95 % interval excludes zero at {string.Join(", ", significant)} epochs." : "No interval excludes zero.") +
                      $" With these seeds a true gap smaller than about {DetectableRange(lengths)} pp would likely go undetected " +
                      "(for scale: the one published long-run figure, torchvision PR #498, is +0.4–0.5 pp for zero-init on ResNet-50 after a full ImageNet schedule).");
        md.AppendLine();
        if (Trend(lengths) is { } trend)
        {
            md.AppendLine(string.Create(c, $"Trend: over the {trend.Points} paired gaps (one per seed and length), each doubling of the length moves the gap by {Signed(trend.SlopePerDoubling)} pp (least squares against log2 epochs). ") +
                          string.Create(c, $"Extrapolated to {trend.AtEpochs} epochs the line gives {Signed(trend.Predicted)} pp, 95 % CI [{Signed(trend.Low)}, {Signed(trend.High)}] ") +
                          "(seed noise only, assuming the gap is linear in log2 epochs: an extrapolation, not a result). " +
                          trend.Verdict(lengths.SelectMany(l => l.Gap.Differences).Average()));
            md.AppendLine();
        }
    }

    /// <summary>The gap's trend over the measured lengths, extrapolated to twice the longest one: the next length worth training.</summary>
    private static GapTrend? Trend(IReadOnlyList<LengthResult> lengths) => lengths.Count == 0 ? null :
        GapTrend.Of(lengths.SelectMany(l => l.Gap.Differences.Select(d => (l.Epochs, d))).ToArray(), 2 * lengths.Max(l => l.Epochs));

    private static void Status(StringBuilder md, ExperimentPipeline pipeline, IReadOnlyList<PublishedRun> runs)
    {
        var planned = pipeline.Runs().Select(r => r.Name).ToArray();
        var missing = planned.Except(runs.Select(r => r.Spec.Name)).ToArray();
        string where = runs.Count == 0 ? "" : $" ([{pipeline.Results}](../../{pipeline.Results}))";
        md.AppendLine($"{runs.Count} of {planned.Length} runs published{where}. " + (
            missing.Length == 0 ? "The experiment is complete." :
            runs.Count == 0 ? "Nothing is published yet." :
            $"Still to run: {string.Join(", ", missing.Select(m => $"`{m}`"))}; the figures below use what is published."));
        md.AppendLine();
        if (Precisions(runs) is { Length: > 0 } precisions)
            md.AppendLine(precisions).AppendLine();
    }

    /// <summary>The precision the runs trained in, as each run's config.json records it; a mix is said, since the arms would not be comparable.</summary>
    private static string Precisions(IReadOnlyList<PublishedRun> runs)
    {
        var groups = runs.GroupBy(r => r.Spec.Precision.Name()).OrderByDescending(g => g.Count()).ToArray();
        return groups.Length switch
        {
            0 => "",
            1 => $"Every run trained in {groups[0].Key}{(groups[0].Key == "bf16" ? " mixed precision (fp32 master weights) on a CPU with native bf16" : "")}.",
            _ => $"**Warning: the runs mix precisions** ({string.Join(", ", groups.Select(g => $"{g.Key}: {g.Count()}"))}), so their arms are not comparable; " +
                 "the runner refuses this for new runs, so a run record was copied in by hand: remove the odd ones and train them again.",
        };
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

    private static void Cost(StringBuilder md, IReadOnlyList<PublishedRun> runs)
    {
        if (runs.Count == 0)
            return;
        var epochs = runs.SelectMany(r => r.Epochs).ToArray();
        double wall = epochs.Sum(e => e.WallSeconds), train = epochs.Sum(e => e.TrainSeconds), val = epochs.Sum(e => e.ValSeconds),
            probe = epochs.Sum(e => e.ProbeSeconds), checkpoint = epochs.Sum(e => e.CheckpointSeconds ?? 0);
        md.AppendLine("## Cost").AppendLine();
        md.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"{runs.Count} runs, {epochs.Length} epochs, {Fixed(wall / 3600, "0.0")} hours of wall time on the project's 2-core CPU machine (runs often shared it with development work, so times vary): ") +
            string.Create(CultureInfo.InvariantCulture, $"training {Share(train, wall)}, validation {Share(val, wall)}, the dynamics probe {Share(probe, wall)}, checkpoints {Share(checkpoint, wall)}. ") +
            string.Create(CultureInfo.InvariantCulture, $"Training ran at {Fixed(runs.Average(r => r.Summary.MeanTrainImagesPerSecond), "0")} images/s on average (per-epoch figures in each run's summary.md)."));
        md.AppendLine();
    }

    private static void Bf16(StringBuilder md, IReadOnlyList<PublishedRun> runs)
    {
        var scored = runs.Where(r => r.Evaluation is not null).ToArray();
        if (scored.Length == 0)
            return;
        var gaps = scored.Select(r => r.Top1 - r.MlNetTop1).ToArray();
        md.AppendLine("## bf16 validation against the fp32 model").AppendLine();
        md.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"The trainer validates in bf16 (as it trains); the exported model is fp32 and ML.NET scores it on the same images. Over {scored.Length} runs the trainer's top-1 minus ML.NET's is ") +
            string.Create(CultureInfo.InvariantCulture, $"{Signed(gaps.Average())} pp on average, between {Signed(gaps.Min())} and {Signed(gaps.Max())}; {gaps.Count(g => Math.Abs(g) <= 0.3)} of {scored.Length} are within 0.3 pp."));
        md.AppendLine();
    }

    private static Dictionary<string, object?> Summary(ExperimentPipeline pipeline, IReadOnlyList<PublishedRun> runs, IReadOnlyList<LengthResult> lengths) => new()
    {
        ["runs_planned"] = pipeline.Runs().Count(),
        ["runs_published"] = runs.Count,
        ["image_size"] = pipeline.ImageSize,
        ["lengths"] = lengths.Select(l => new Dictionary<string, object>
        {
            ["epochs"] = l.Epochs,
            ["seeds"] = l.Pairs.Select(p => p.Seed).ToArray(),
            ["off_top1"] = l.Pairs.Select(p => p.Off.Top1).ToArray(),
            ["on_top1"] = l.Pairs.Select(p => p.On.Top1).ToArray(),
            ["off_mean"] = l.Off.Mean,
            ["off_sd"] = l.Off.StandardDeviation,
            ["on_mean"] = l.On.Mean,
            ["on_sd"] = l.On.StandardDeviation,
            ["gap_mean_pp"] = l.Gap.Spread.Mean,
            ["gap_ci95_t"] = new[] { l.Gap.TLow, l.Gap.THigh },
            ["gap_ci95_bootstrap"] = new[] { l.Gap.BootstrapLow, l.Gap.BootstrapHigh },
            ["minimum_detectable_effect_pp"] = l.Gap.MinimumDetectableEffect,
            ["mlnet_gap_mean_pp"] = l.MlNetGap.Spread.Mean,
        }).ToArray(),
        ["gap_trend"] = Trend(lengths) is { } t
            ? new Dictionary<string, object>
            {
                ["points"] = t.Points,
                ["slope_pp_per_doubling"] = t.SlopePerDoubling,
                ["at_epochs"] = t.AtEpochs,
                ["predicted_gap_pp"] = t.Predicted,
                ["ci95"] = new[] { t.Low, t.High },
            }
            : null,
    };

    private static string Relative(PublishedRun run) => run.Folder.Path.Replace('\\', '/') is var p && p.IndexOf("/docs/results/", StringComparison.Ordinal) is int i and >= 0
        ? p[(i + "/docs/results/".Length)..]
        : p;

    private static string Share(double part, double whole) => whole > 0 ? Fixed(part / whole, "0.0 %") : Missing;
    private static string Pm(Spread s) => s.Count == 0 ? Missing : s.Count == 1 ? Fixed(s.Mean) : $"{Fixed(s.Mean)} ± {Fixed(s.StandardDeviation)}";
}
