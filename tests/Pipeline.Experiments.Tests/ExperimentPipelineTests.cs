using Pipeline.Testing;

namespace Pipeline.Experiments.Tests;

public sealed class ExperimentPipelineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pipelines-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string> ShippedPipelines() =>
        [.. Directory.GetFiles(Path.Combine(TestRepository.Root, "pipelines"), "*.json").Where(f => !f.EndsWith("evaluation.json", StringComparison.Ordinal)).Select(f => Path.GetFileName(f))];

    [Theory]
    [MemberData(nameof(ShippedPipelines))]
    public void Every_shipped_pipeline_loads_and_its_run_names_are_unique(string file)
    {
        var pipeline = ExperimentPipeline.Load(Path.Combine(TestRepository.Root, "pipelines", file));
        var names = pipeline.Runs().Select(r => r.Name).ToList();
        Assert.NotEmpty(names);
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.All(names, n => Assert.StartsWith(pipeline.Name + "-", n));
    }

    [Fact]
    public void A_pipeline_on_its_own_data_hands_every_run_its_folder_split_and_initial_weights()
    {
        string file = Path.Combine(_dir, "own.json");
        File.WriteAllText(file, """
            { "name": "own", "variants": [ { "flavour": "torchvision" }, { "flavour": "timm" } ],
              "data": "/photos", "valFraction": 0.2, "splitSeed": 3, "initWeights": "/w/resnet18.pth", "newHead": true }
            """);

        var runs = ExperimentPipeline.Load(file).Runs().ToList();

        Assert.Equal(2, runs.Count);
        Assert.All(runs, r => Assert.True(r is { Dataset: "/photos", ValFraction: 0.2, SplitSeed: 3, InitWeights: "/w/resnet18.pth", NewHead: true }, r.ToJson()));
    }

    [Fact]
    public void The_seeded_experiment_pairs_each_seed_and_runs_timm_once_per_flag()
    {
        var runs = ExperimentPipeline.Load(Path.Combine(TestRepository.Root, "pipelines", "zero-init-seeds.json")).Runs().ToList();
        Assert.Equal(12, runs.Count);
        Assert.Equal(
            ["zero-init-seeds-torchvision-zi0-fastai-s42", "zero-init-seeds-torchvision-zi1-fastai-s42", "zero-init-seeds-timm-zi1-fastai-s42",
             "zero-init-seeds-timm-zi0-fastai-s42", "zero-init-seeds-torchvision-zi0-fastai-s43", "zero-init-seeds-torchvision-zi1-fastai-s43"],
            runs.Take(6).Select(r => r.Name));
        // Paired: for every seed the two flags, and nothing else differs between the two runs of a pair.
        foreach (var pair in runs.Where(r => r.Flavour == ResNetFlavour.Torchvision).GroupBy(r => r.Seed))
        {
            var (off, on) = (pair.Single(r => r.ZeroInitLast == false), pair.Single(r => r.ZeroInitLast == true));
            Assert.Equal(off.ToJson(), (on with { Name = off.Name, ZeroInitLast = false }).ToJson());
        }
        Assert.All(runs, r => Assert.True(r is { ImageSize: 128, Epochs: 5, TrainPerClass: null, ValPerClass: null }));
    }

    [Fact]
    public void The_main_job_answers_the_question_on_the_full_train_split_with_timms_flag_flipped_in_minutes()
    {
        var pipeline = ExperimentPipeline.Load(Path.Combine(TestRepository.Root, "pipelines", "quick.json"));
        var runs = pipeline.Runs().ToList();
        Assert.Equal(
            [(ResNetFlavour.Torchvision, false), (ResNetFlavour.Timm, true), (ResNetFlavour.Timm, false)],
            runs.Select(r => (r.Flavour, r.EffectiveZeroInitLast)));
        // Full split, small images, a few epochs: about 2 minutes a run on 2 cores (docs/performance.md, the main job).
        Assert.All(runs, r => Assert.True(r is { TrainPerClass: null, ValPerClass: null, MaxStepsPerEpoch: null, ImageSize: 64, Epochs: 3 }, r.Name));
        Assert.Single(runs.Select(r => r.Seed).Distinct());
        Assert.Equal("val", pipeline.Evaluate!.Split);
        Assert.Equal(0, pipeline.Evaluate.PerClassLimit);
    }

    [Fact]
    public void Several_training_lengths_each_make_runs_named_by_their_length_short_ones_first()
    {
        var pipeline = ExperimentPipeline.Load(Path.Combine(TestRepository.Root, "pipelines", "zero-init-long-run.json"));
        var runs = pipeline.Runs().ToList();
        Assert.Equal(4 * 3 * 2 + 2 * 2, runs.Count);
        Assert.Equal([5, 10, 20, 40, 80], runs.Select(r => r.Epochs).Distinct());
        Assert.Equal("zero-init-long-run-torchvision-zi1-fastai-e40-s44", runs[^5].Name);
        Assert.Equal("zero-init-long-run-torchvision-zi1-fastai-e80-s43", runs[^1].Name);
        Assert.All(runs, r => Assert.Equal(5, r.ValidateEvery));
    }

    [Fact]
    public void A_length_can_run_fewer_seeds_than_the_others()
    {
        string path = Path.Combine(_dir, "p.json");
        File.WriteAllText(path, """
            { "name": "x", "variants": [{ "flavour": "torchvision", "zeroInitLast": false }, { "flavour": "torchvision", "zeroInitLast": true }],
              "seeds": [1, 2, 3], "epochs": [5, 80], "seedsAt": { "80": [1, 3] } }
            """);

        var runs = ExperimentPipeline.Load(path).Runs().ToList();

        Assert.Equal([1, 1, 2, 2, 3, 3], runs.Where(r => r.Epochs == 5).Select(r => r.Seed));
        Assert.Equal([1, 1, 3, 3], runs.Where(r => r.Epochs == 80).Select(r => r.Seed));
        Assert.Equal("x-torchvision-zi1-fastai-e80-s3", runs[^1].Name);
    }

    [Theory]
    [InlineData("""{ "name": "x", "variants": [{ "flavour": "timm" }], "seeds": [1, 2], "epochs": [5, 10], "seedsAt": { "20": [1] } }""", "'seedsAt' names 20 epochs")]
    [InlineData("""{ "name": "x", "variants": [{ "flavour": "timm" }], "seeds": [1, 2], "epochs": [5, 10], "seedsAt": { "10": [3] } }""", "some of the pipeline's seeds (1, 2), not [3]")]
    [InlineData("""{ "name": "x", "variants": [{ "flavour": "timm" }], "seeds": [1, 2], "epochs": [5, 10], "seedsAt": { "10": [] } }""", "not []")]
    [InlineData("""{ "name": "x", "variants": [{ "flavour": "timm" }], "seeds": [1, 2], "epochs": [5, 10], "seedsAt": { "10": null } }""", "'seedsAt'")]
    [InlineData("""{ "name": "x", "variants": [{ "flavour": "timm" }], "seeds": [1, 2], "epochs": [5, 10], "seedsAt": { "10": [1], "10": [2] } }""", "key $.seedsAt.10 is given twice")]
    [InlineData("""{ "name": "x", "variants": [{ "flavour": "timm" }, { "flavour": "torchvision", "seeds": [2] }], "seeds": [1, 2], "epochs": [5, 10], "seedsAt": { "10": [1] } }""", "leaves the variant Torchvision")]
    [InlineData("""{ "name": "x", "name": "y", "variants": [{ "flavour": "timm" }] }""", "key 'name' is given twice (line 1)")]
    [InlineData("""{ "name": "x", "variants": [{ "flavour": "timm" }], "epocs": 3 }""", "epocs")]
    [InlineData("""{ "name": "x", "variants": [{ "flavour": "timm", "seeds": [7] }], "seeds": [1, 2] }""", "some of the pipeline's seeds")]
    [InlineData("""{ "name": "x", "variants": [], "seeds": [1] }""", "at least one entry")]
    [InlineData("""{ "name": "x", "variants": [{ "flavour": "timm" }], "epochs": 0 }""", "epochs must be at least 1")]
    public void A_mistake_in_a_pipeline_file_is_named_with_the_file(string json, string expected)
    {
        string path = Path.Combine(_dir, "p.json");
        File.WriteAllText(path, json);
        var e = Assert.Throws<RunSpecException>(() => ExperimentPipeline.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Run_names_have_one_format()
    {
        var timm = ResNetConfig.LibraryDefault(ResNetFlavour.Timm, HeadKind.Fastai);
        Assert.Equal("timm-zi1-fastai-s42", RunNames.For(null, timm, 42));
        Assert.Equal("exp-timm-zi1-fastai-e10-s3", RunNames.For("exp", timm, 3, epochs: 10));
        Assert.Equal("exp-resnet50-timm-zi1-fastai-lr0.025-e10-s3", RunNames.For("exp", timm with { Arch = ResNetArch.ResNet50 }, 3, epochs: 10, lrMax: 0.025));
        Assert.False(ResNetConfig.LibraryZeroInitLast(ResNetFlavour.Torchvision));
    }

    private ExperimentPipeline Load(string json)
    {
        string path = Path.Combine(_dir, "p.json");
        File.WriteAllText(path, json);
        return ExperimentPipeline.Load(path);
    }

    [Fact]
    public void Depths_and_peak_learning_rates_are_factors_ordered_first_and_named_in_the_runs()
    {
        var pipeline = Load("""
            { "name": "d", "variants": [ { "flavour": "torchvision", "zeroInitLast": false }, { "flavour": "torchvision", "zeroInitLast": true } ],
              "arch": ["resnet50", "resnet18"], "recipeName": "sgd", "lrMax": [0.025, 0.4], "seeds": [1], "epochs": 2 }
            """);
        var runs = pipeline.Runs().ToList();
        Assert.Equal(
            ["d-resnet50-torchvision-zi0-fastai-lr0.025-s1", "d-resnet50-torchvision-zi1-fastai-lr0.025-s1",
             "d-resnet50-torchvision-zi0-fastai-lr0.4-s1", "d-resnet50-torchvision-zi1-fastai-lr0.4-s1",
             "d-torchvision-zi0-fastai-lr0.025-s1", "d-torchvision-zi1-fastai-lr0.025-s1",
             "d-torchvision-zi0-fastai-lr0.4-s1", "d-torchvision-zi1-fastai-lr0.4-s1"],
            runs.Select(r => r.Name));
        Assert.Equal([ResNetArch.ResNet50, ResNetArch.ResNet18], runs.Select(r => r.ModelConfig.Arch).Distinct());
        Assert.Equal([0.025, 0.4], runs.Select(r => r.Recipe.LrMax).Distinct());
        Assert.All(runs, r => Assert.Equal(Recipe.Sgd with { LrMax = r.Recipe.LrMax }, r.Recipe));
        Assert.Equal(["d-resnet50-torchvision-zi0-fastai-lr0.025-s1"], pipeline.OnlyArch(ResNetArch.ResNet50).Runs().Take(1).Select(r => r.Name));
        var e = Assert.Throws<RunSpecException>(() => pipeline.OnlyArch(ResNetArch.ResNet34));
        Assert.Contains("resnet50, resnet18", e.Message);
    }

    [Fact]
    public void A_pipeline_without_arch_trains_ResNet18_under_the_names_it_always_had()
    {
        var pipeline = Load("""{ "name": "old", "variants": [ { "flavour": "timm" } ], "seeds": [42], "epochs": 5 }""");
        var run = Assert.Single(pipeline.Runs());
        Assert.Equal("old-timm-zi1-fastai-s42", run.Name);
        Assert.Equal(ResNetArch.ResNet18, run.Arch);
        Assert.Null(run.RecipeOverride);
        Assert.Contains("\"arch\": \"resnet18\"", run.ToJson());
        Assert.True(run.IsDefinedBy(run.ToJson().Replace("\"arch\": \"resnet18\",", "", StringComparison.Ordinal)), "a config.json written before depths existed still defines its run");
    }

    [Theory]
    [InlineData(ResNetArch.ResNet18, 8, 3, 512, 11_176_512)]
    [InlineData(ResNetArch.ResNet34, 16, 3, 512, 21_284_672)]
    [InlineData(ResNetArch.ResNet50, 16, 4, 2048, 23_508_032)]
    public void Each_depth_has_torchvisions_blocks_shortcuts_features_and_backbone_size(ResNetArch arch, int blocks, int projections, int features, long parameters)
    {
        var layout = ResNetLayout.For(arch);
        Assert.Equal(blocks, layout.Blocks.Count);
        Assert.Equal(projections, layout.Blocks.Count(b => b.HasProjectionShortcut));
        Assert.Equal(features, layout.Features);
        Assert.Equal(parameters, layout.BackboneParameters);
    }

    [Fact]
    public void ResNet50s_bottlenecks_reduce_then_expand_four_times_with_the_stride_on_the_3x3()
    {
        var layout = ResNetLayout.ResNet50;
        var first = layout.Blocks[0];
        Assert.Equal(("layer1.0", 64, 64, 256, 1, true), (first.Name, first.InChannels, first.Width, first.OutChannels, first.Stride, first.HasProjectionShortcut));
        var layer2 = layout.Blocks.Single(b => b.Name == "layer2.0");
        Assert.Equal(
            [new ConvLayout(256, 128, 1, 1), new ConvLayout(128, 128, 3, 2), new ConvLayout(128, 512, 1, 1)],
            layer2.BranchConvs);
        Assert.Equal(new ConvLayout(256, 512, 1, 2), layer2.ShortcutConv);
    }

    [Theory]
    [InlineData(ResNetFlavour.Torchvision, BlockKind.Basic, "relu", "relu", "relu_1")]
    [InlineData(ResNetFlavour.Timm, BlockKind.Basic, "act1", "act1", "act2")]
    [InlineData(ResNetFlavour.Torchvision, BlockKind.Bottleneck, "relu", "relu,relu_1", "relu_2")]
    [InlineData(ResNetFlavour.Timm, BlockKind.Bottleneck, "act1", "act1,act2", "act3")]
    public void Activations_are_named_as_each_library_names_its_modules(ResNetFlavour flavour, BlockKind kind, string stem, string branch, string output)
    {
        var names = ResNetLayout.ActivationNames(flavour, kind);
        Assert.Equal((stem, branch, output), (names.Stem, string.Join(",", names.Branch), names.Output));
    }

    [Fact]
    public void ResNet18s_layout_is_four_stages_of_two_blocks_with_three_projection_shortcuts()
    {
        var layout = ResNetLayout.ResNet18;
        Assert.Equal(["layer1.0", "layer1.1", "layer2.0", "layer2.1", "layer3.0", "layer3.1", "layer4.0", "layer4.1"], layout.Blocks.Select(b => b.Name));
        Assert.Equal(["layer2.0", "layer3.0", "layer4.0"], layout.Blocks.Where(b => b.HasProjectionShortcut).Select(b => b.Name));
        Assert.Equal([1, 1, 2, 1, 2, 1, 2, 1], layout.Blocks.Select(b => b.Stride));
        Assert.Equal(512, layout.Features);
    }
}
