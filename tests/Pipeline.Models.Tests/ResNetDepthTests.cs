using Pipeline.Experiments;
using Pipeline.Models;
using static TorchSharp.torch;

namespace Pipeline.Models.Tests;

/// <summary>
/// ResNet18, ResNet34 and ResNet50 against torchvision's own models: the state_dict keys and shapes PyTorch printed
/// (PyTorch/torchvision-state-dicts.txt, with the command that wrote it), and the behaviour each depth shares.
/// </summary>
public class ResNetDepthTests
{
    public ResNetDepthTests() => TorchRuntime.EnsureLoaded();

    private static readonly ILookup<string, (string Key, string Shape)> s_torchvision = File
        .ReadLines(Path.Combine(AppContext.BaseDirectory, "PyTorch", "torchvision-state-dicts.txt"))
        .Where(line => !line.StartsWith('#'))
        .Select(line => line.Split(' '))
        .ToLookup(f => f[0], f => (f[1], f[2]));

    public static TheoryData<ResNetArch, ResNetFlavour> DepthsAndFlavours()
    {
        var data = new TheoryData<ResNetArch, ResNetFlavour>();
        foreach (var arch in Enum.GetValues<ResNetArch>())
            foreach (var flavour in Enum.GetValues<ResNetFlavour>())
                data.Add(arch, flavour);
        return data;
    }

    private static ResNet Create(ResNetArch arch, ResNetFlavour flavour, bool zeroInitLast = false, HeadKind head = HeadKind.Library, long seed = 0)
    {
        manual_seed(seed);
        return ResNet.Create(new ResNetConfig(flavour, zeroInitLast, head) { Arch = arch });
    }

    private static string Shape(Tensor t) => t.shape.Length == 0 ? "scalar" : string.Join("x", t.shape);

    [Theory]
    [MemberData(nameof(DepthsAndFlavours))]
    public void State_dict_keys_and_shapes_are_torchvisions_in_its_order(ResNetArch arch, ResNetFlavour flavour)
    {
        using var model = Create(arch, flavour);
        var expected = s_torchvision[arch.Name()].ToList();
        Assert.True(expected.Count > 100, $"the PyTorch list has {expected.Count} entries for {arch.Name()}");
        var ours = model.state_dict().ToDictionary(kv => kv.Key, kv => Shape(kv.Value));
        Assert.Equal(expected.Select(e => e.Key).Order(StringComparer.Ordinal), ours.Keys.Order(StringComparer.Ordinal));
        Assert.All(expected, e => Assert.True(ours[e.Key] == e.Shape, $"{e.Key}: PyTorch {e.Shape}, ours {ours[e.Key]}"));
        // TorchSharp lists parameters then buffers; each in PyTorch's order.
        Assert.Equal(expected.Select(e => e.Key).Where(k => !IsBuffer(k)), model.named_parameters().Select(p => p.name));
        Assert.Equal(expected.Select(e => e.Key).Where(IsBuffer), model.named_buffers().Select(b => b.name));

        static bool IsBuffer(string key) =>
            key.EndsWith(".running_mean", StringComparison.Ordinal) || key.EndsWith(".running_var", StringComparison.Ordinal)
            || key.EndsWith(".num_batches_tracked", StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ResNetArch.ResNet34, ResNetFlavour.Torchvision, "bn2", 16)]
    [InlineData(ResNetArch.ResNet34, ResNetFlavour.Timm, "bn2", 16)]
    [InlineData(ResNetArch.ResNet50, ResNetFlavour.Torchvision, "bn3", 16)]
    [InlineData(ResNetArch.ResNet50, ResNetFlavour.Timm, "bn3", 16)]
    public void Zero_init_zeroes_the_last_BatchNorm_gamma_of_every_block_and_nothing_else(ResNetArch arch, ResNetFlavour flavour, string last, int blocks)
    {
        using var on = Create(arch, flavour, zeroInitLast: true);
        using var off = Create(arch, flavour, zeroInitLast: false);
        var zeroed = on.named_parameters().Where(p => p.name.EndsWith(".weight", StringComparison.Ordinal) && p.parameter.abs().max().item<float>() == 0).Select(p => p.name).ToList();
        Assert.Equal(blocks, zeroed.Count);
        Assert.All(zeroed, name => Assert.Matches($@"^layer\d\.\d+\.{last}\.weight$", name));
        Assert.DoesNotContain(off.named_parameters(), p => p.name.EndsWith(".weight", StringComparison.Ordinal) && p.parameter.abs().max().item<float>() == 0);
        // Same draws: every other tensor is equal, so a pair differs in the flag alone.
        var offState = off.state_dict();
        Assert.All(on.state_dict().Where(kv => !zeroed.Contains(kv.Key)), kv => Assert.True(kv.Value.equal(offState[kv.Key]).all().item<bool>(), kv.Key));
    }

    [Theory]
    [InlineData(ResNetArch.ResNet34, HeadKind.Library, 21_289_802)]
    [InlineData(ResNetArch.ResNet50, HeadKind.Library, 23_528_522)]
    // fastai's head on 2048 features: BN1d(4096) 8,192 + Linear 4096x512 2,097,152 + BN1d(512) 1,024 + Linear 512x10 5,120
    [InlineData(ResNetArch.ResNet50, HeadKind.Fastai, 25_619_520)]
    public void Parameter_count_is_torchvisions_plus_the_head(ResNetArch arch, HeadKind head, long expected)
    {
        using var model = Create(arch, ResNetFlavour.Timm, head: head);
        Assert.Equal(expected, model.parameters().Sum(p => p.numel()));
    }

    [Theory]
    [InlineData(ResNetArch.ResNet34, 512)]
    [InlineData(ResNetArch.ResNet50, 2048)]
    public void Features_are_N_by_the_depths_width_at_a_32nd_of_the_side_and_logits_N_by_classes(ResNetArch arch, int features)
    {
        using var model = Create(arch, ResNetFlavour.Torchvision, head: HeadKind.Fastai);
        model.eval();
        using var _ = no_grad();
        using var x = randn(2, 3, 64, 64);
        using var f = model.ForwardFeatures(x);
        Assert.Equal([2L, features, 2, 2], f.shape);
        using var logits = model.ForwardHead(f);
        Assert.Equal([2L, 10], logits.shape);
    }

    [Theory]
    [InlineData(ResNetArch.ResNet34)]
    [InlineData(ResNetArch.ResNet50)]
    public void Flavours_give_identical_outputs_given_identical_weights(ResNetArch arch)
    {
        using var tv = Create(arch, ResNetFlavour.Torchvision, head: HeadKind.Fastai, seed: 3);
        using var timm = Create(arch, ResNetFlavour.Timm, head: HeadKind.Fastai, seed: 4);
        TestWeights.RandomizeBatchNorms(tv, seed: 5);
        timm.load_state_dict(tv.state_dict());
        tv.eval();
        timm.eval();
        using var _ = no_grad();
        using var x = randn(2, 3, 64, 64);
        Assert.True(tv.forward(x).equal(timm.forward(x)).all().item<bool>());
    }

    [Theory]
    [InlineData(ResNetArch.ResNet18, 8)]
    [InlineData(ResNetArch.ResNet34, 16)]
    [InlineData(ResNetArch.ResNet50, 16)]
    public void The_residual_probe_reads_every_block_and_its_sum_is_the_forward_pass(ResNetArch arch, int blocks)
    {
        using var model = Create(arch, ResNetFlavour.Timm, zeroInitLast: true, head: HeadKind.Fastai);
        TestWeights.RandomizeBatchNorms(model, seed: 2);
        model.eval();
        using var _ = no_grad();
        using var x = randn(2, 3, 64, 64);
        var readings = model.ReadResidualBlocks(x);
        Assert.Equal(model.Layout.Blocks.Select(b => b.Name), readings.Select(r => r.Block));
        Assert.Equal(blocks, readings.Count);
        Assert.All(readings, r => Assert.True(r.BranchNorm > 0 && r.ShortcutNorm > 0, $"{r.Block}: branch {r.BranchNorm}, shortcut {r.ShortcutNorm}"));
    }
}
