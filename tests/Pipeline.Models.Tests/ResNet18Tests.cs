using Pipeline.Experiments;
using Pipeline.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Models.Tests;

public class ResNet18Tests
{
    public ResNet18Tests() => TorchRuntime.EnsureLoaded();

    public static TheoryData<ResNetFlavour, bool, HeadKind> AllVariants()
    {
        var data = new TheoryData<ResNetFlavour, bool, HeadKind>();
        foreach (var flavour in Enum.GetValues<ResNetFlavour>())
            foreach (bool zero in new[] { false, true })
                foreach (var head in Enum.GetValues<HeadKind>())
                    data.Add(flavour, zero, head);
        return data;
    }

    private static ResNet Create(ResNetFlavour flavour, bool zeroInitLast = false, HeadKind head = HeadKind.Library, long seed = 0)
    {
        manual_seed(seed);
        return ResNet.Create(new ResNetConfig(flavour, zeroInitLast, head));
    }

    private static Dictionary<string, Tensor> Named(ResNet model) =>
        model.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);

    [Theory]
    [InlineData(ResNetFlavour.Torchvision)]
    [InlineData(ResNetFlavour.Timm)]
    public void State_dict_keys_are_PyTorchs(ResNetFlavour flavour)
    {
        using var model = Create(flavour);
        AssertSameKeysAsPyTorch(PyTorchStateDictKeys.ResNet18, model);
    }

    /// <summary>
    /// Same key set, and parameters and buffers each in PyTorch's order. (TorchSharp's state_dict lists all
    /// parameters, then all buffers, where PyTorch interleaves them module by module: the order of the
    /// dictionary differs, the keys and the tensors they name do not.)
    /// </summary>
    private static void AssertSameKeysAsPyTorch(IEnumerable<string> pytorchKeys, ResNet model)
    {
        var buffers = model.named_buffers().Select(b => b.name).ToList();
        var expected = pytorchKeys.ToList();
        Assert.Equal(expected.Order(StringComparer.Ordinal), model.state_dict().Keys.Order(StringComparer.Ordinal));
        Assert.Equal(expected.Where(k => !IsBuffer(k)), model.named_parameters().Select(p => p.name));
        Assert.Equal(expected.Where(IsBuffer), buffers);

        static bool IsBuffer(string key) =>
            key.EndsWith(".running_mean", StringComparison.Ordinal) || key.EndsWith(".running_var", StringComparison.Ordinal)
            || key.EndsWith(".num_batches_tracked", StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ResNetFlavour.Torchvision)]
    [InlineData(ResNetFlavour.Timm)]
    public void Fastai_head_replaces_fc_with_head_children_numbered_as_fastai_numbers_them(ResNetFlavour flavour)
    {
        using var model = Create(flavour, head: HeadKind.Fastai);
        var expected = PyTorchStateDictKeys.ResNet18.Where(k => !k.StartsWith("fc.", StringComparison.Ordinal))
            .Concat(PyTorchStateDictKeys.FastaiHead);
        AssertSameKeysAsPyTorch(expected, model);
    }

    [Theory]
    [InlineData(ResNetFlavour.Torchvision, HeadKind.Library, 11_181_642)]
    [InlineData(ResNetFlavour.Timm, HeadKind.Library, 11_181_642)]
    // + BN1d(1024) 2,048 + Linear 1024x512 524,288 + BN1d(512) 1,024 + Linear 512x10 5,120 - fc 5,130
    [InlineData(ResNetFlavour.Torchvision, HeadKind.Fastai, 11_708_992)]
    [InlineData(ResNetFlavour.Timm, HeadKind.Fastai, 11_708_992)]
    public void Parameter_count_is_ResNet18s(ResNetFlavour flavour, HeadKind head, long expected)
    {
        using var model = Create(flavour, head: head);
        Assert.Equal(expected, model.parameters().Sum(p => p.numel()));
    }

    [Theory]
    [InlineData(ResNetFlavour.Torchvision, new[] { "relu", "layer1.0.relu", "avgpool" }, new[] { "act1", "layer1.0.act1", "layer1.0.act2", "global_pool" })]
    [InlineData(ResNetFlavour.Timm, new[] { "act1", "layer1.0.act1", "layer1.0.act2", "global_pool", "global_pool.pool", "global_pool.flatten" }, new[] { "relu", "layer1.0.relu", "avgpool" })]
    public void Modules_without_parameters_carry_each_librarys_names(ResNetFlavour flavour, string[] present, string[] absent)
    {
        using var model = Create(flavour);
        var names = model.named_modules().Select(m => m.name).ToHashSet();
        Assert.All(present, n => Assert.Contains(n, names));
        Assert.All(absent, n => Assert.DoesNotContain(n, names));
    }

    [Theory]
    [MemberData(nameof(AllVariants))]
    public void Every_blocks_bn2_gamma_is_exactly_0_or_1_as_the_flag_says_and_every_other_norm_is_1_and_0(
        ResNetFlavour flavour, bool zeroInitLast, HeadKind head)
    {
        using var model = Create(flavour, zeroInitLast, head);
        var p = Named(model);
        var bn2 = p.Keys.Where(k => k.EndsWith(".bn2.weight", StringComparison.Ordinal)).ToList();
        Assert.Equal(8, bn2.Count);
        float expectedGamma = zeroInitLast ? 0f : 1f;
        foreach (string k in bn2)
            Assert.True(p[k].data<float>().All(v => v == expectedGamma), $"{k}: expected every element to be {expectedGamma}");

        foreach (var (name, t) in p.Where(kv => kv.Key.Contains("bn1.") || kv.Key.Contains("downsample.1.") || kv.Key.Contains("bn2.bias")))
        {
            float expected = name.EndsWith(".weight", StringComparison.Ordinal) ? 1f : 0f;
            Assert.True(t.data<float>().All(v => v == expected), $"{name}: expected every element to be {expected}");
        }
    }

    [Theory]
    [InlineData(ResNetFlavour.Torchvision)]
    [InlineData(ResNetFlavour.Timm)]
    public void Every_conv_is_kaiming_normal_fan_out_relu(ResNetFlavour flavour)
    {
        using var model = Create(flavour, seed: 7);
        var convs = Named(model).Where(kv => kv.Value.dim() == 4).ToList();
        Assert.Equal(20, convs.Count); // stem + 8 blocks x 2 + 3 projection shortcuts
        foreach (var (name, w) in convs)
        {
            long fanOut = w.shape[0] * w.shape[2] * w.shape[3];
            long fanIn = w.shape[1] * w.shape[2] * w.shape[3];
            double expectedStd = Math.Sqrt(2.0 / fanOut); // gain √2 for ReLU
            double std = w.std().item<float>(), mean = w.mean().item<float>();
            // The smallest conv (layer2.0.downsample.0) has 8,192 weights: the sample std's relative error is
            // about 1/sqrt(2n) < 1%, so 5% is a wide margin, and fan_in would miss by 29% or more where it differs.
            Assert.True(Math.Abs(std / expectedStd - 1) < 0.05, $"{name}: std {std:G4}, expected {expectedStd:G4} (fan_out {fanOut})");
            Assert.True(Math.Abs(mean) < 4 * expectedStd / Math.Sqrt(w.numel()), $"{name}: mean {mean:G4} is not about 0");
            if (fanIn != fanOut)
                Assert.True(Math.Abs(std / Math.Sqrt(2.0 / fanIn) - 1) > 0.2, $"{name}: std {std:G4} looks like fan_in");
        }
    }

    [Theory]
    [InlineData(ResNetFlavour.Torchvision)]
    [InlineData(ResNetFlavour.Timm)]
    public void Library_fc_keeps_PyTorchs_default_Linear_init(ResNetFlavour flavour)
    {
        using var model = Create(flavour, seed: 3);
        var p = Named(model);
        double bound = 1 / Math.Sqrt(ResNetLayout.ResNet18.Features); // kaiming_uniform(a=√5) and the bias: U(-1/√fan_in, 1/√fan_in)
        foreach (string k in new[] { "fc.weight", "fc.bias" })
        {
            var v = p[k].data<float>().ToArray();
            Assert.True(v.All(x => Math.Abs(x) <= bound), $"{k}: values outside ±{bound:G4}");
            Assert.True(v.Distinct().Count() == v.Length, $"{k}: not random");
        }
        var w = p["fc.weight"].data<float>().ToArray(); // 5,120 draws: they reach the ends of U(-b, b)
        Assert.True(w.Max() > 0.95 * bound && w.Min() < -0.95 * bound, "fc.weight does not span the uniform range");
    }

    [Theory]
    [InlineData(ResNetFlavour.Torchvision)]
    [InlineData(ResNetFlavour.Timm)]
    public void Fastai_head_is_initialised_as_create_cnn_model_does(ResNetFlavour flavour)
    {
        using var model = Create(flavour, head: HeadKind.Fastai, seed: 5);
        var p = Named(model);
        foreach (string bn in new[] { "head.2", "head.6" })
        {
            Assert.All(p[bn + ".weight"].data<float>().ToArray(), v => Assert.Equal(1f, v));
            Assert.All(p[bn + ".bias"].data<float>().ToArray(), v => Assert.Equal(1e-3f, v));
        }
        foreach (var (name, fanIn) in new[] { ("head.4.weight", 1024), ("head.8.weight", 512) })
        {
            double std = p[name].std().item<float>(), expected = Math.Sqrt(2.0 / fanIn);
            // head.8 has 5,120 weights: sample std within about 1%; 8% is wide.
            Assert.True(Math.Abs(std / expected - 1) < 0.08, $"{name}: std {std:G4}, expected {expected:G4} (kaiming normal, fan_in)");
        }
        Assert.DoesNotContain("head.4.bias", p.Keys);
        Assert.DoesNotContain("head.8.bias", p.Keys);
    }

    [Theory]
    [InlineData(ResNetFlavour.Torchvision, HeadKind.Library, 128, 4)]
    [InlineData(ResNetFlavour.Timm, HeadKind.Fastai, 128, 4)]
    [InlineData(ResNetFlavour.Timm, HeadKind.Library, 160, 5)]
    public void Shapes_are_features_N_512_side_over_32_and_logits_N_classes(ResNetFlavour flavour, HeadKind head, int side, int featureSide)
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var model = ResNet.Create(new ResNetConfig(flavour, false, head, NumClasses: 7));
        model.eval();
        using var _ = no_grad();
        var x = rand(2, 3, side, side);
        var features = model.ForwardFeatures(x);
        Assert.Equal(new long[] { 2, 512, featureSide, featureSide }, features.shape);
        Assert.Equal(new long[] { 2, 7 }, model.ForwardHead(features).shape);
        Assert.Equal(new long[] { 2, 7 }, model.forward(x).shape);
    }

    [Theory]
    [InlineData(HeadKind.Library)]
    [InlineData(HeadKind.Fastai)]
    public void Flavours_give_identical_outputs_given_identical_weights(HeadKind head)
    {
        using var scope = NewDisposeScope();
        using var torchvision = Create(ResNetFlavour.Torchvision, head: head, seed: 11);
        using var timm = Create(ResNetFlavour.Timm, zeroInitLast: true, head: head, seed: 12);
        TestWeights.RandomizeBatchNorms(torchvision, seed: 13);

        // The keys are the same in both flavours (the modules whose names differ, relu vs act1/act2, hold no
        // state), so the copy is by name, one to one; strict loading fails on any missing or extra key.
        var (missing, unexpected) = timm.load_state_dict(torchvision.state_dict());
        Assert.Empty(missing);
        Assert.Empty(unexpected);

        torchvision.eval();
        timm.eval();
        using var _ = no_grad();
        manual_seed(14);
        var x = rand(3, 3, 96, 96);
        var a = torchvision.forward(x);
        var b = timm.forward(x);
        Assert.True(a.abs().max().item<float>() > 1e-3, "outputs are trivially zero");
        // Same operations in the same order on the same CPU kernels: equal to the bit.
        Assert.Equal(0f, (a - b).abs().max().item<float>());
    }

    [Fact]
    public void Create_is_deterministic_given_the_seed()
    {
        using var a = Create(ResNetFlavour.Timm, true, HeadKind.Fastai, seed: 42);
        using var b = Create(ResNetFlavour.Timm, true, HeadKind.Fastai, seed: 42);
        using var c = Create(ResNetFlavour.Timm, true, HeadKind.Fastai, seed: 43);
        var pa = Named(a); var pb = Named(b); var pc = Named(c);
        Assert.All(pa.Keys, k => Assert.True(pa[k].equal(pb[k]).all().item<bool>(), $"{k} differs between two models from seed 42"));
        Assert.False(pa["conv1.weight"].equal(pc["conv1.weight"]).all().item<bool>());
    }

    [Theory]
    [InlineData(HeadKind.Library, 21, 41)]
    [InlineData(HeadKind.Fastai, 22, 44)]
    public void Weight_decay_goes_to_conv_and_linear_weights_only(HeadKind head, int decayed, int notDecayed)
    {
        using var model = Create(ResNetFlavour.Torchvision, head: head);
        var decay = model.WeightDecayParameters.Select(p => p.Name).ToList();
        var noDecay = model.NoWeightDecayParameters.Select(p => p.Name).ToList();
        Assert.Equal(decayed, decay.Count);
        Assert.Equal(notDecayed, noDecay.Count);
        Assert.All(decay, n => Assert.True(n.EndsWith(".weight", StringComparison.Ordinal) && !n.Contains("bn") && !n.Contains("downsample.1")
            && n is not ("head.2.weight" or "head.6.weight"), $"{n} should not be weight-decayed"));
        if (head == HeadKind.Library)
            Assert.Contains("fc.bias", noDecay);
        Assert.Equal(model.parameters().Count(), decay.Union(noDecay).Count());
    }

    [Fact]
    public void Training_step_backpropagates_through_the_in_place_adds_and_relus()
    {
        using var scope = NewDisposeScope();
        using var model = Create(ResNetFlavour.Timm, zeroInitLast: true, head: HeadKind.Fastai);
        model.train();
        var x = rand(4, 3, 64, 64);
        var loss = nn.functional.cross_entropy(model.forward(x), tensor(new long[] { 0, 1, 2, 3 }));
        loss.backward();
        var p = Named(model);
        // With zero-init-last the branch output is 0 but bn2's γ still gets a gradient: that is how it learns.
        Assert.True(p["layer1.0.bn2.weight"].grad!.abs().sum().item<float>() > 0);
        Assert.True(p["conv1.weight"].grad!.abs().sum().item<float>() > 0);
    }
}
