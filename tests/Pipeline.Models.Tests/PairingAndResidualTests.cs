using Pipeline.Experiments;
using Pipeline.Models;
using static TorchSharp.torch;

namespace Pipeline.Models.Tests;

/// <summary>
/// The experiment's pairing rests on these: the zero-init flag changes nothing but the zeroed γ (not what the random
/// generator draws), and with the same flag and seed both flavours are one network. And the residual reading that
/// shows the branches waking up measures what it says.
/// </summary>
public class PairingAndResidualTests
{
    public PairingAndResidualTests() => TorchRuntime.EnsureLoaded();

    private static (ResNet Model, byte[] RngAfter) Create(ResNetFlavour flavour, bool zeroInitLast, long seed)
    {
        manual_seed(seed);
        var model = ResNet.Create(new ResNetConfig(flavour, zeroInitLast, HeadKind.Fastai));
        using var rng = get_rng_state();
        return (model, rng.bytes.ToArray());
    }

    private static Dictionary<string, Tensor> State(ResNet model) => new(model.state_dict());

    [Theory]
    [InlineData(ResNetFlavour.Torchvision)]
    [InlineData(ResNetFlavour.Timm)]
    public void Zero_init_draws_the_same_random_numbers_and_changes_only_each_blocks_last_gamma(ResNetFlavour flavour)
    {
        var (off, rngOff) = Create(flavour, zeroInitLast: false, seed: 42);
        var (on, rngOn) = Create(flavour, zeroInitLast: true, seed: 42);
        using (off)
        using (on)
        {
            Assert.Equal(rngOff, rngOn); // the data order and dropout draw from here on: the pair shares them
            var a = State(off);
            var b = State(on);
            int zeroed = 0;
            foreach (var (key, tensor) in a)
            {
                if (key.EndsWith(".bn2.weight", StringComparison.Ordinal))
                {
                    zeroed++;
                    Assert.True(tensor.eq(1).all().item<bool>() && b[key].eq(0).all().item<bool>(), $"{key}: expected γ 1 without zero-init and 0 with it");
                }
                else
                {
                    Assert.True(tensor.equal(b[key]).all().item<bool>(), $"{key} differs between the flag off and on with the same seed");
                }
            }
            Assert.Equal(8, zeroed);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Flavours_with_the_same_flag_and_seed_start_identical_and_take_identical_gradients(bool zeroInitLast)
    {
        var (torchvision, rngA) = Create(ResNetFlavour.Torchvision, zeroInitLast, seed: 7);
        var (timm, rngB) = Create(ResNetFlavour.Timm, zeroInitLast, seed: 7);
        using (torchvision)
        using (timm)
        using (var scope = NewDisposeScope())
        {
            Assert.Equal(rngA, rngB);
            var a = State(torchvision);
            var b = State(timm);
            Assert.Equal(a.Keys.Order(StringComparer.Ordinal), b.Keys.Order(StringComparer.Ordinal));
            Assert.All(a, kv => Assert.True(kv.Value.equal(b[kv.Key]).all().item<bool>(), $"{kv.Key}: initial values differ between flavours"));

            manual_seed(8);
            var x = rand(8, 3, 64, 64);
            var y = tensor(new long[] { 0, 1, 2, 3, 4, 5, 6, 7 });
            foreach (var model in new[] { torchvision, timm })
            {
                model.train();
                manual_seed(9); // the head's dropout masks
                nn.functional.cross_entropy(model.forward(x), y).backward();
            }
            var gradsB = timm.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!);
            foreach (var (name, p) in torchvision.named_parameters())
                Assert.True(p.grad!.equal(gradsB[name]).all().item<bool>(), $"{name}: gradients differ between flavours");
            Assert.True(gradsB["layer1.0.bn2.weight"].abs().sum().item<float>() > 0, "the batch must produce gradients");
        }
    }

    [Theory]
    [InlineData(ResNetFlavour.Torchvision)]
    [InlineData(ResNetFlavour.Timm)]
    public void A_block_whose_last_gamma_is_zero_contributes_nothing_and_contribution_scales_with_gamma(ResNetFlavour flavour)
    {
        var (zeroInit, _) = Create(flavour, zeroInitLast: true, seed: 3);
        var (plain, _) = Create(flavour, zeroInitLast: false, seed: 3);
        using (zeroInit)
        using (plain)
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            manual_seed(4);
            var x = rand(4, 3, 64, 64);
            zeroInit.eval();
            plain.eval();

            var silent = zeroInit.ReadResidualBlocks(x);
            Assert.Equal(["layer1.0", "layer1.1", "layer2.0", "layer2.1", "layer3.0", "layer3.1", "layer4.0", "layer4.1"], silent.Select(r => r.Block));
            Assert.All(silent, r => Assert.True(r.Contribution == 0 && r.LastGammaMeanAbs == 0 && r.ShortcutNorm > 0, $"{r}: a zero γ must give a zero branch"));

            var awake = plain.ReadResidualBlocks(x);
            Assert.All(awake, r => Assert.True(r.Contribution > 0.1 && r.LastGammaMeanAbs == 1, $"{r}: γ = 1 must give a live branch"));

            // Fresh BatchNorm statistics in eval mode and β = 0: the branch is γ times the normalised conv output, so
            // doubling layer2.1's γ doubles its branch and leaves every block before it as it was.
            var gamma = plain.named_parameters().Single(p => p.name == "layer2.1.bn2.weight").parameter;
            gamma.mul_(2);
            var doubled = plain.ReadResidualBlocks(x);
            for (int i = 0; i < 3; i++)
                Assert.Equal(awake[i].Contribution, doubled[i].Contribution);
            Assert.Equal(2 * awake[3].BranchNorm, doubled[3].BranchNorm, 3);
            Assert.Equal(awake[3].ShortcutNorm, doubled[3].ShortcutNorm);
        }
    }

    [Fact]
    public void Reading_blocks_changes_neither_the_output_nor_the_batchnorm_statistics()
    {
        var (model, _) = Create(ResNetFlavour.Torchvision, zeroInitLast: false, seed: 5);
        using (model)
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            manual_seed(6);
            var x = rand(4, 3, 64, 64);
            model.eval();
            var before = model.forward(x).clone();
            var stats = model.named_buffers().ToDictionary(b => b.name, b => b.buffer.clone());
            model.ReadResidualBlocks(x);
            Assert.True(before.equal(model.forward(x)).all().item<bool>());
            Assert.All(model.named_buffers(), b => Assert.True(b.buffer.equal(stats[b.name]).all().item<bool>(), b.name));
        }
    }
}
