using Pipeline.Experiments;
using Pipeline.Reporting.Results;

namespace Pipeline.Reporting.Tests;

/// <summary>
/// The depth experiment's verdicts, on made-up records whose gaps are chosen so that each rule of the design
/// (docs/design/zero-init-depth.md) has one answer: the page must give that answer.
/// </summary>
public sealed class DepthSectionTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("depth-page-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>Publishes a record for every run of the pipeline, with top-1 = 70 % with the flag on and 70 % + gap(run) off.</summary>
    private PageExperiment Publish(string json, Func<RunSpec, double> gap, Func<RunSpec, bool>? published = null, string fileName = "depth.json")
    {
        string file = Path.Combine(_root, "pipelines", fileName);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, json);
        var experiment = PageExperiment.Load(file, _root);
        foreach (var spec in experiment.Pipeline.Runs().Where(published ?? (_ => true)))
        {
            double top1 = (70 + (spec.EffectiveZeroInitLast ? 0 : gap(spec))) / 100;
            var epoch = new EpochMetrics(spec.Epochs, 0.5, 1.0, top1, 0.95, 0, 60, 100, 1000, 500, 10) { TrainSeconds = 50 };
            var summary = new RunSummary(spec.Name, spec.Epochs, top1, 0.95, top1, 60, 100, "fp", "sha") { TrainEvalTop1 = 0.9, TrainEvalLoss = 0.3 };
            var folder = RunFolder.PublishedIn(Path.Combine(_root, experiment.Pipeline.Results), spec.Name);
            Directory.CreateDirectory(folder.Path);
            folder.WriteSpec(spec);
            folder.WriteProgress([epoch], []);
            folder.WriteSummary(spec, summary, [epoch]);
        }
        return experiment;
    }

    private const string DepthPipeline = """
        { "name": "d", "variants": [ { "flavour": "torchvision", "zeroInitLast": false }, { "flavour": "torchvision", "zeroInitLast": true } ],
          "arch": ["resnet50", "resnet18", "resnet34"], "seeds": [42, 43, 44], "recipeName": "sgd", "imageSize": 64, "epochs": 40, "results": "results/d" }
        """;

    private string PageOf(PageExperiment experiment) => ResultsPage.Build([experiment], _root)[ResultsPage.PageFile];

    private static double SeedNoise(RunSpec spec) => (spec.Seed - 43) * 0.1;

    [Fact]
    public void H1_is_confirmed_when_the_gap_falls_with_depth_seed_by_seed_and_the_three_depths_are_in_order()
    {
        var experiment = Publish(DepthPipeline, spec => spec.Arch switch
        {
            ResNetArch.ResNet18 => 3.0,
            ResNetArch.ResNet34 => 2.0,
            _ => 0.5 + SeedNoise(spec) * 2,
        } + SeedNoise(spec));

        string page = PageOf(experiment);

        Assert.Contains("**H1, depth**: under recipe sgd at 40 epochs the gap decreases with depth, ResNet18 > ResNet34 > ResNet50: **confirmed**", page, StringComparison.Ordinal);
        Assert.Contains("ResNet18 +3.00 pp (3 seeds, zero-init costs)", page, StringComparison.Ordinal);
        Assert.Contains("**H2, recipe**: at equal depth and length the gap under sgd is smaller than under fastai's recipe: **incomplete**", page, StringComparison.Ordinal);
        // The map opens the page with each depth's claim.
        Assert.Contains("**ResNet50, sgd (peak lr 0.025), 64 px**: 40 epochs +0.50 pp", page, StringComparison.Ordinal);
    }

    [Fact]
    public void A_first_pair_is_shown_with_its_gap_and_no_claim_until_a_second_seed_gives_an_interval()
    {
        var experiment = Publish(DepthPipeline, _ => -4.69, spec => spec.Arch == ResNetArch.ResNet18 && spec.Seed == 42);

        string page = PageOf(experiment);

        Assert.Contains("**ResNet18, sgd (peak lr 0.025), 64 px**: 40 epochs −4.69 pp, one seed, no interval yet", page, StringComparison.Ordinal);
        Assert.Contains("Gaps: ResNet18 −4.69 pp (1 seed, no interval yet), ResNet34 not measured, ResNet50 not measured.", page, StringComparison.Ordinal);
        Assert.DoesNotContain("(≥ –", page, StringComparison.Ordinal);
        Assert.Contains("**What to choose, as measured so far.** No advice yet for ResNet18, sgd (peak lr 0.025), 64 px at 40 epochs: one seed, no interval.", page, StringComparison.Ordinal);
    }

    [Fact]
    public void H1_is_refuted_when_the_deepest_gap_is_larger_and_zero_init_wins_where_its_upper_bound_is_below_zero()
    {
        var experiment = Publish(DepthPipeline, spec => spec.Arch switch
        {
            ResNetArch.ResNet18 => -2.0,
            ResNetArch.ResNet34 => 0.0,
            _ => 2.0,
        } + SeedNoise(spec));

        string page = PageOf(experiment);

        Assert.Contains("ResNet18 > ResNet34 > ResNet50: **refuted**", page, StringComparison.Ordinal);
        Assert.Contains("ResNet18 −2.00 pp (3 seeds, zero-init wins)", page, StringComparison.Ordinal);
        Assert.Contains("ResNet34 0.00 pp (3 seeds, undecided)", page, StringComparison.Ordinal);
        // The plain-words advice follows each claim: sd 0.1 over 3 seeds detects (t(.975, 2) + t(.80, 2)) · 0.1 / √3 = 0.31 pp.
        Assert.Contains("**What to choose, as measured so far.** Use zero-init (**on**, timm's default) for ResNet18, sgd (peak lr 0.025), 64 px at 40 epochs: it wins there. " +
                        "Leave zero-init **off** (torchvision's default) for ResNet50, sgd (peak lr 0.025), 64 px at 40 epochs: it costs there. " +
                        "No difference shown yet for ResNet34, sgd (peak lr 0.025), 64 px at 40 epochs (gap 0.00 pp; a true gap under 0.31 pp, the minimum detectable effect, " +
                        "is detected less than 80 % of the time): the seeds cannot tell the settings apart, and a cost or a win smaller than that may be there. " +
                        "From a pretrained ResNet18 checkpoint the flag changes nothing.", page, StringComparison.Ordinal);
    }

    [Fact]
    public void The_advice_lists_a_depths_lengths_under_the_claim_each_length_supports()
    {
        var lengths = Publish("""
            { "name": "l", "variants": [ { "flavour": "torchvision", "zeroInitLast": false }, { "flavour": "torchvision", "zeroInitLast": true } ],
              "arch": ["resnet18"], "seeds": [42, 43, 44], "recipeName": "sgd", "imageSize": 64, "epochs": [5, 10, 20], "results": "results/l" }
            """, spec => (spec.Epochs == 20 ? 0.0 : 3.0) + SeedNoise(spec));

        string page = PageOf(lengths);

        Assert.Contains("Leave zero-init **off** (torchvision's default) for ResNet18, sgd (peak lr 0.025), 64 px at 5 and 10 epochs: it costs there. " +
                        "No difference shown yet for ResNet18, sgd (peak lr 0.025), 64 px at 20 epochs (gap 0.00 pp;", page, StringComparison.Ordinal);
        Assert.DoesNotContain("Use zero-init", page, StringComparison.Ordinal);
    }

    [Fact]
    public void H3_is_confirmed_when_a_corrected_interval_between_learning_rates_excludes_zero_and_refuted_when_all_lie_within_one_point()
    {
        const string lr = """
            { "name": "l", "variants": [ { "flavour": "torchvision", "zeroInitLast": false }, { "flavour": "torchvision", "zeroInitLast": true } ],
              "arch": "resnet18", "seeds": [42, 43, 44], "recipeName": "sgd", "lrMax": [0.00625, 0.025, 0.1], "imageSize": 64, "epochs": 20, "results": "results/l" }
            """;
        string depends = PageOf(Publish(lr, spec => spec.Recipe.LrMax * 40 + SeedNoise(spec)));
        Assert.Contains("depends on the peak lr (0.00625, 0.025, 0.1): **confirmed**", depends, StringComparison.Ordinal);

        string flat = PageOf(Publish(lr, spec => 1.0 + SeedNoise(spec)));
        Assert.Contains("depends on the peak lr (0.00625, 0.025, 0.1): **refuted** (no dependence larger than 1 pp)", flat, StringComparison.Ordinal);
    }

    [Fact]
    public void H2_is_confirmed_when_the_sgd_gap_is_below_the_fastai_gap_seed_by_seed_in_all_three_cases_and_not_confirmed_when_one_is_not()
    {
        // One grid per recipe: ResNet18 and ResNet50 at 20 and 40 epochs, the three cases H2 names among them.
        static string Grid(string recipe) => $$"""
            { "name": "{{recipe}}", "variants": [ { "flavour": "torchvision", "zeroInitLast": false }, { "flavour": "torchvision", "zeroInitLast": true } ],
              "arch": ["resnet18", "resnet50"], "seeds": [42, 43, 44], "recipeName": "{{recipe}}", "imageSize": 64, "epochs": [20, 40], "results": "results/{{recipe}}" }
            """;
        // fastai's gap is +2 pp everywhere; sgd's is −1 pp, except ResNet50 at 20 epochs when `deepEqual` makes it +2 pp as well.
        string PageWith(bool deepEqual) => ResultsPage.Build(
        [
            Publish(Grid("sgd"), spec => (deepEqual && spec.Arch == ResNetArch.ResNet50 && spec.Epochs == 20 ? 2.0 : -1.0) + SeedNoise(spec), fileName: "sgd.json"),
            Publish(Grid("fastai-reference"), spec => 2.0 + SeedNoise(spec) * 2, fileName: "fastai.json"),
        ], _root)[ResultsPage.PageFile];

        string confirmed = PageWith(deepEqual: false);
        Assert.Contains("**H2, recipe**: at equal depth and length the gap under sgd is smaller than under fastai's recipe: **confirmed**. " +
                        "ResNet18 at 20 epochs: confirmed (sgd − fastai, by seed: −3.00 pp, ≤ ", confirmed, StringComparison.Ordinal);
        Assert.Contains("ResNet50 at 20 epochs: confirmed (sgd − fastai, by seed: −3.00 pp", confirmed, StringComparison.Ordinal);

        string one = PageWith(deepEqual: true);
        Assert.Contains("than under fastai's recipe: **not confirmed**. ", one, StringComparison.Ordinal);
        Assert.Contains("ResNet18 at 40 epochs: confirmed", one, StringComparison.Ordinal);
        Assert.Contains("ResNet50 at 20 epochs: undecided (sgd − fastai, by seed: 0.00 pp", one, StringComparison.Ordinal);
    }
}
