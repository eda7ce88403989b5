namespace Pipeline.Experiments.Tests;

/// <summary>The pairing rule for a zero-init gap, as the answer and the results page both apply it.</summary>
public class RunPairsTests
{
    /// <summary>Two depths, two peak learning rates, two lengths, two seeds, the flag off and on: 32 runs.</summary>
    private static readonly ExperimentPipeline Depth = new()
    {
        Name = "depth",
        Variants = [new Variant(ResNetFlavour.Torchvision, false), new Variant(ResNetFlavour.Torchvision, true)],
        Arch = [ResNetArch.ResNet50, ResNetArch.ResNet18],
        RecipeName = "sgd",
        LrMax = [0.1, 0.4],
        Epochs = [10, 5],
        Seeds = [43, 42],
    };

    private static RunSpec Run(ResNetArch arch, double lr, int epochs, int seed, bool zeroInit, ResNetFlavour flavour = ResNetFlavour.Torchvision) =>
        Depth.Runs().Single(r => r.Arch == arch && r.Recipe.LrMax == lr && r.Epochs == epochs && r.Seed == seed && r.EffectiveZeroInitLast == zeroInit) with { Flavour = flavour };

    private static PairedRuns<RunSpec> Pair(params RunSpec[] runs) => RunPairs.Of(runs, r => r);

    [Fact]
    public void Runs_of_one_seed_length_depth_and_peak_learning_rate_pair_the_flag_off_with_the_flag_on()
    {
        var off = Run(ResNetArch.ResNet50, 0.4, 10, 42, zeroInit: false);
        var on = Run(ResNetArch.ResNet50, 0.4, 10, 42, zeroInit: true);

        var pair = Assert.Single(Pair(on, off).Pairs);

        Assert.Same(off, pair.Off);
        Assert.Same(on, pair.On);
        Assert.Equal(42, pair.Seed);
        Assert.Equal((ResNetArch.ResNet50, HeadKind.Fastai, "sgd", 0.4, 10), (pair.Condition.Arch, pair.Condition.Head, pair.Condition.Recipe, pair.Condition.LrMax, pair.Condition.Epochs));
        Assert.Equal(10, pair.Epochs);
    }

    [Fact]
    public void Runs_that_differ_in_seed_length_depth_or_peak_learning_rate_besides_the_flag_do_not_pair()
    {
        var off = Run(ResNetArch.ResNet50, 0.4, 10, 42, zeroInit: false);
        foreach (var on in new[]
                 {
                     Run(ResNetArch.ResNet50, 0.4, 10, 43, zeroInit: true), // another seed
                     Run(ResNetArch.ResNet50, 0.4, 5, 42, zeroInit: true), // another length
                     Run(ResNetArch.ResNet18, 0.4, 10, 42, zeroInit: true), // another depth
                     Run(ResNetArch.ResNet50, 0.1, 10, 42, zeroInit: true), // another peak learning rate
                     Run(ResNetArch.ResNet50, 0.4, 10, 42, zeroInit: true) with { RecipeOverride = Recipe.Sgd with { LrMax = 0.4, WeightDecay = 1e-4 } }, // another recipe of that name
                 })
        {
            var pairing = Pair(off, on);
            Assert.True(pairing.Pairs.Count == 0, $"{off.Name} paired with {on.Name}");
            Assert.Equal([off, on], pairing.Unpaired);
        }
    }

    [Fact]
    public void A_timm_and_a_torchvision_run_of_one_seed_and_flag_are_one_result_which_the_torchvision_run_stands_for()
    {
        var off = Run(ResNetArch.ResNet18, 0.1, 5, 42, zeroInit: false);
        var on = Run(ResNetArch.ResNet18, 0.1, 5, 42, zeroInit: true);
        var timmOn = on with { Name = "timm-on", Flavour = ResNetFlavour.Timm };
        var timmOff = off with { Name = "timm-off", Flavour = ResNetFlavour.Timm };

        var pairing = Pair(timmOn, timmOff, off, on);

        var pair = Assert.Single(pairing.Pairs);
        Assert.Same(off, pair.Off);
        Assert.Same(on, pair.On);
        Assert.Equal([new RunTwin<RunSpec>(timmOn, on), new RunTwin<RunSpec>(timmOff, off)], pairing.Twins);
        Assert.Empty(pairing.Unpaired);
        Assert.Equal([off, on], pairing.WithoutTwins([timmOn, timmOff, off, on]));
    }

    [Fact]
    public void Where_each_flavour_trained_one_flag_of_a_seed_the_pair_joins_them()
    {
        // The quick pipeline: torchvision's default (off) and timm's default (on), one seed.
        var off = Run(ResNetArch.ResNet18, 0.1, 5, 42, zeroInit: false);
        var timmOn = Run(ResNetArch.ResNet18, 0.1, 5, 42, zeroInit: true, ResNetFlavour.Timm);

        var pair = Assert.Single(Pair(timmOn, off).Pairs);

        Assert.Same(off, pair.Off);
        Assert.Same(timmOn, pair.On);
    }

    [Fact]
    public void Runs_without_a_partner_are_left_out_of_the_pairs_and_reported_in_the_order_given()
    {
        var lone = Run(ResNetArch.ResNet18, 0.1, 10, 43, zeroInit: true);
        var off = Run(ResNetArch.ResNet18, 0.1, 5, 42, zeroInit: false);
        var on = Run(ResNetArch.ResNet18, 0.1, 5, 42, zeroInit: true);
        var alsoLone = Run(ResNetArch.ResNet50, 0.1, 5, 42, zeroInit: false);

        var pairing = Pair(lone, off, alsoLone, on);

        Assert.Single(pairing.Pairs);
        Assert.Equal([lone, alsoLone], pairing.Unpaired);
        Assert.Empty(pairing.Twins);
        Assert.Empty(Pair(lone).Pairs);
    }

    [Fact]
    public void Pairs_come_by_depth_peak_learning_rate_length_then_seed_whatever_the_order_of_the_runs()
    {
        var runs = Depth.Runs().Reverse().ToArray();

        var pairing = Pair(runs);

        Assert.Equal(16, pairing.Pairs.Count);
        Assert.Empty(pairing.Twins);
        Assert.Empty(pairing.Unpaired);
        Assert.Equal(
            from arch in new[] { ResNetArch.ResNet18, ResNetArch.ResNet50 }
            from lr in new[] { 0.1, 0.4 }
            from epochs in new[] { 5, 10 }
            from seed in new[] { 42, 43 }
            select (arch, lr, epochs, seed),
            pairing.Pairs.Select(p => (p.Condition.Arch, p.Condition.LrMax, p.Epochs, p.Seed)));
        Assert.Equal(8, pairing.ByCondition.Count());
        Assert.All(pairing.ByCondition, c => Assert.Equal([42, 43], c.Select(p => p.Seed)));
    }
}
