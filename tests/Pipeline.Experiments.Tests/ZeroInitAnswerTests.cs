namespace Pipeline.Experiments.Tests;

public class ZeroInitAnswerTests
{
    private static readonly ExperimentPipeline Quick = new()
    {
        Name = "quick",
        Variants = [new Variant(ResNetFlavour.Torchvision, false), new Variant(ResNetFlavour.Timm, true), new Variant(ResNetFlavour.Timm, false)],
        ImageSize = 64,
        Epochs = [3],
    };

    private static (RunSpec, RunSummary) Run(RunSpec spec, double top1, string sha) =>
        (spec, new RunSummary(spec.Name, spec.Epochs, top1, 0.9, top1, 100, 300, "fp", sha));

    [Fact]
    public void The_answer_gives_each_variant_the_cost_of_zero_init_and_what_flipping_timms_flag_does()
    {
        var specs = Quick.Runs().ToArray();
        var answer = ZeroInitAnswer.For(Quick, [Run(specs[0], 0.621, "aaa"), Run(specs[1], 0.528, "bbb"), Run(specs[2], 0.621, "aaa")]);

        string text = string.Join("\n", answer);
        Assert.Contains("3 epochs from scratch at 64 px, the full Imagenette train split, one seed", text);
        Assert.Contains("| torchvision default | no | 62.10 % |", text);
        Assert.Contains("| timm default | yes | 52.80 % |", text);
        Assert.Contains("| timm, `zero_init_last=False` | no | 62.10 % |", text);
        Assert.Contains("costs 9.30 pp** of top-1 after 3 epochs: 62.10 % without it, 52.80 % with it", text);
        Assert.Contains("moves it from 52.80 % to 62.10 %: exactly torchvision's 62.10 %, with the same weights", text);
        Assert.Contains("docs/results/README.md", text);
    }

    [Fact]
    public void Different_weights_are_not_called_the_same_and_one_flag_alone_answers_nothing()
    {
        var specs = Quick.Runs().ToArray();
        string text = string.Join("\n", ZeroInitAnswer.For(Quick, [Run(specs[0], 0.62, "aaa"), Run(specs[1], 0.53, "bbb"), Run(specs[2], 0.61, "ccc")]));
        Assert.DoesNotContain("same weights", text);
        Assert.Contains("moves it from 53.00 % to 61.00 %.", text);

        Assert.Empty(ZeroInitAnswer.For(Quick, [Run(specs[1], 0.53, "bbb")]));
    }

    [Fact]
    public void The_cost_counts_a_seed_once_where_both_flavours_trained_it()
    {
        // Seed 42 in both flavours (the same weights, so the same top-1), seed 43 in torchvision's only: two pairs, not three.
        var seeds = Quick with { Variants = [.. Quick.Variants, new Variant(ResNetFlavour.Torchvision, true)], Seeds = [42, 43] };
        var specs = seeds.Runs().ToDictionary(s => (s.Flavour, s.EffectiveZeroInitLast, s.Seed));
        string text = string.Join("\n", ZeroInitAnswer.For(seeds,
        [
            Run(specs[(ResNetFlavour.Torchvision, false, 42)], 0.70, "a"), Run(specs[(ResNetFlavour.Torchvision, true, 42)], 0.60, "b"),
            Run(specs[(ResNetFlavour.Timm, false, 42)], 0.70, "a"), Run(specs[(ResNetFlavour.Timm, true, 42)], 0.60, "b"),
            Run(specs[(ResNetFlavour.Torchvision, false, 43)], 0.80, "c"), Run(specs[(ResNetFlavour.Torchvision, true, 43)], 0.76, "d"),
        ]));

        Assert.Contains("costs 7.00 pp** of top-1 after 3 epochs: 75.00 % without it, 68.00 % with it", text);
    }

    [Fact]
    public void Several_lengths_get_one_cost_each_from_their_own_paired_seeds()
    {
        // What a long-run pipeline hands over after one session: e20 s43 with only zero-init on trained, the e80 s42 pair.
        var longRun = Quick with { Variants = [new Variant(ResNetFlavour.Torchvision, false), new Variant(ResNetFlavour.Torchvision, true)], Epochs = [20, 80], Seeds = [42, 43] };
        var specs = longRun.Runs().ToDictionary(s => (s.Epochs, s.Seed, s.EffectiveZeroInitLast));
        string text = string.Join("\n", ZeroInitAnswer.For(longRun,
            [Run(specs[(20, 43, true)], 0.7427, "a"), Run(specs[(80, 42, false)], 0.7763, "b"), Run(specs[(80, 42, true)], 0.7684, "c")]));

        Assert.Contains("Here: 20, 80 epochs from scratch", text);
        Assert.Contains("| 20 | torchvision, `zero_init_residual=True` | yes | 74.27 % |", text);
        Assert.Contains("| 80 | torchvision default | no | 77.63 % |", text);
        Assert.Contains("costs 0.79 pp** of top-1 after 80 epochs: 77.63 % without it, 76.84 % with it", text);
        Assert.DoesNotContain("after 20 epochs", text); // no partner at 20 epochs: no gap there, and none mixed into 80's
        Assert.Contains("Left out of the gaps, with no run of the other flag at their seed, length, depth and recipe: `quick-torchvision-zi1-fastai-e20-s43`.", text);

        string gain = string.Join("\n", ZeroInitAnswer.For(longRun, [Run(specs[(80, 42, false)], 0.75, "b"), Run(specs[(80, 42, true)], 0.77, "c")]));
        Assert.Contains("gains 2.00 pp** of top-1 after 80 epochs: 75.00 % without it, 77.00 % with it", gain);
    }

    [Fact]
    public void Several_depths_get_a_condition_column_and_no_variant_is_averaged_across_depths()
    {
        // What the depth experiment hands over after ResNet18's seed 42 and ResNet50's seed 42 with only zero-init off.
        var depth = Quick with { Variants = [new Variant(ResNetFlavour.Torchvision, false), new Variant(ResNetFlavour.Torchvision, true)], Arch = [ResNetArch.ResNet50, ResNetArch.ResNet18], Epochs = [40] };
        var specs = depth.Runs().ToDictionary(s => (s.Arch, s.EffectiveZeroInitLast));
        string text = string.Join("\n", ZeroInitAnswer.For(depth,
            [Run(specs[(ResNetArch.ResNet18, false)], 0.73, "a"), Run(specs[(ResNetArch.ResNet18, true)], 0.78, "b"), Run(specs[(ResNetArch.ResNet50, false)], 0.60, "c")]));

        Assert.Contains("Here: resnet18 and resnet50 at 40 epochs from scratch", text);
        Assert.Contains("| condition | variant | zero-init of each block's last BN γ | val top-1 |", text);
        Assert.Contains("| resnet18 | torchvision default | no | 73.00 % |", text);
        Assert.Contains("| resnet50 | torchvision default | no | 60.00 % |", text); // not 66.50 %, the two depths' mean
        Assert.Contains("gains 5.00 pp** of top-1 after 40 epochs (resnet18): 73.00 % without it, 78.00 % with it", text);
        Assert.Contains("Left out of the gaps, with no run of the other flag at their seed, length, depth and recipe: `quick-resnet50-torchvision-zi0-fastai-s42`.", text);
    }

    [Fact]
    public void A_slice_is_called_a_plumbing_check()
    {
        var smoke = Quick with { TrainPerClass = 40, ValPerClass = 10 };
        var specs = smoke.Runs().ToArray();
        string text = string.Join("\n", ZeroInitAnswer.For(smoke, [Run(specs[0], 0.1, "a"), Run(specs[1], 0.1, "b")]));
        Assert.Contains("a plumbing check: these numbers answer nothing", text);
        Assert.Contains("The gap on this slice (0.00 pp; chance is 10 %) is not a result", text);
        Assert.DoesNotContain("costs", text);
    }
}
