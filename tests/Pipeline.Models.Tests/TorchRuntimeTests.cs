using Pipeline.Build;
using Pipeline.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Models.Tests;

public class TorchRuntimeTests
{
    private static string OutputLibTorchSharp() =>
        new[] { "libLibTorchSharp.so", "runtimes/linux-x64/native/libLibTorchSharp.so" }
            .Select(p => Path.Combine(AppContext.BaseDirectory, p))
            .First(File.Exists);

    [Fact]
    public void Libtorch_loads_and_runs_a_convolution()
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        // A 3x3 all-ones kernel over an all-ones 1x1x4x4 image: interior outputs are 9.
        var conv = nn.Conv2d(1, 1, 3, bias: false);
        using (no_grad())
            conv.weight!.fill_(1f);
        var y = conv.forward(ones(1, 1, 4, 4));
        Assert.Equal(new long[] { 1, 1, 2, 2 }, y.shape);
        Assert.All(y.data<float>().ToArray(), v => Assert.Equal(9f, v));
    }

    [Fact]
    public void Pinned_scalars_are_the_values_and_types_of_the_implicit_conversions_they_replace()
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        using Scalar one = 1, byteMax = 255f;
        using var bytes = arange(0, 256, dtype: ScalarType.Float32);
        using var a = ones(4);
        using var b = full(4, 3f);

        Assert.Equal((one.Type, one.ToInt64()), (PinnedScalars.One.Type, PinnedScalars.One.ToInt64()));
        Assert.Equal((byteMax.Type, byteMax.ToSingle()), (PinnedScalars.ByteMax.Type, PinnedScalars.ByteMax.ToSingle()));
        // The ops give the same bits either way.
        Assert.True(bytes.clone().div_(255f).equal(bytes.clone().div_(PinnedScalars.ByteMax)).all().item<bool>());
        Assert.True(a.clone().add_(b).equal(a.clone().add_(b, PinnedScalars.One)).all().item<bool>());
    }

    [Theory]
    [InlineData(2)]
    [InlineData(1)]
    public void Pinned_batch_norm_computes_and_keeps_what_TorchSharps_does(int spatialDims)
    {
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        using nn.Module<Tensor, Tensor> library = spatialDims == 2 ? nn.BatchNorm2d(6) : nn.BatchNorm1d(6);
        using nn.Module<Tensor, Tensor> pinned = spatialDims == 2 ? new PinnedBatchNorm2d(6) : new PinnedBatchNorm1d(6);
        Assert.Equal(library.state_dict().Keys, pinned.state_dict().Keys);
        manual_seed(7);
        var inputs = Enumerable.Range(0, 3).Select(_ => spatialDims == 2 ? randn(4, 6, 5, 5) : randn(4, 6)).ToArray();

        // Training mode moves the running statistics and the batch count; eval mode then reads them.
        foreach (var (mode, x) in inputs.Select(x => ("train", x)).Append(("eval", inputs[0])))
        {
            library.train(mode == "train");
            pinned.train(mode == "train");
            Assert.True(library.forward(x).equal(pinned.forward(x)).all().item<bool>(), $"{mode}: outputs differ");
        }
        var kept = pinned.state_dict();
        foreach (var (name, value) in library.state_dict())
            Assert.True(value.equal(kept[name]).all().item<bool>(), $"{name} differs");
        Assert.Equal(3, kept["num_batches_tracked"].item<long>());
    }

    [Fact]
    public void Output_copy_of_LibTorchSharp_needs_no_libstdcxx_version_the_system_lacks()
    {
        var system = ElfVersionNeeds.FindSystemLibStdCxx();
        Assert.NotNull(system);
        var available = ElfVersionNeeds.ReadDefinitions(File.ReadAllBytes(system!));
        var strictNeeds = ElfVersionNeeds.ReadNeeds(File.ReadAllBytes(OutputLibTorchSharp()))
            .Where(n => n.File == "libstdc++.so.6" && !n.IsWeak)
            .Select(n => n.Version);
        Assert.All(strictNeeds, v => Assert.True(available.Contains(v), $"{v} is required strictly but missing from {system}"));
    }

    [Fact]
    public void Shipped_LibTorchSharp_requires_GLIBCXX_3_4_32_and_marking_it_weak_changes_one_flag()
    {
        // The NuGet package's own copy, read-only: the fix must never edit it.
        string nuget = Path.Combine(Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"),
            "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(nuget), $"expected the TorchSharp package at {nuget}");
        byte[] shipped = File.ReadAllBytes(nuget);
        var need = Assert.Single(ElfVersionNeeds.ReadNeeds(shipped), n => n.Version == "GLIBCXX_3.4.32");
        Assert.False(need.IsWeak);

        byte[] patched = (byte[])shipped.Clone();
        Assert.True(ElfVersionNeeds.MarkWeak(patched, "libstdc++.so.6", "GLIBCXX_3.4.32"));
        Assert.False(ElfVersionNeeds.MarkWeak(patched, "libstdc++.so.6", "GLIBCXX_3.4.32"));
        Assert.True(Assert.Single(ElfVersionNeeds.ReadNeeds(patched), n => n.Version == "GLIBCXX_3.4.32").IsWeak);
        var changed = Enumerable.Range(0, shipped.Length).Where(i => shipped[i] != patched[i]).ToList();
        Assert.Equal(new[] { (int)need.FlagsOffset }, changed);
    }

    [Fact]
    public void System_libstdcxx_definitions_are_read()
    {
        var defs = ElfVersionNeeds.ReadDefinitions(File.ReadAllBytes(ElfVersionNeeds.FindSystemLibStdCxx()!));
        Assert.Contains("GLIBCXX_3.4", defs);
        Assert.Contains("CXXABI_1.3", defs);
    }
}
