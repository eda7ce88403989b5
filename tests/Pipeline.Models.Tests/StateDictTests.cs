using System.Diagnostics;
using System.Text.Json;
using Pipeline.Experiments;
using Pipeline.Testing;
using static TorchSharp.torch;

namespace Pipeline.Models.Tests;

/// <summary>
/// PyTorch weights in and out: a state dict PyTorch made loads as it is and gives PyTorch's logits; one we write reads back
/// to the same weights, and PyTorch itself loads it and gives ours; a state dict that does not fit is one clear error.
/// </summary>
public sealed class StateDictTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("pipeline-state-dicts-").FullName;

    public StateDictTests() => TorchRuntime.EnsureLoaded();

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    private static ResNet Create(ResNetConfig config, long seed = 0)
    {
        manual_seed(seed);
        return ResNet.Create(config);
    }

    private static ResNetConfig Config(ResNetFlavour flavour, HeadKind head, int classes, ResNetArch arch = ResNetArch.ResNet18, bool zeroInitLast = false) =>
        ResNetConfig.Of(arch, flavour, zeroInitLast, head, classes);

    private static float[][] Logits(ResNet model, float[] input, long[] shape)
    {
        model.eval();
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var logits = model.forward(tensor(input, shape));
        return Enumerable.Range(0, (int)shape[0]).Select(i => logits[i].data<float>().ToArray()).ToArray();
    }

    /// <summary>Bit for bit the same tensor: shape, dtype and every byte.</summary>
    private static bool Same(Tensor a, Tensor b) =>
        a.shape.SequenceEqual(b.shape) && a.dtype == b.dtype && a.contiguous().bytes.SequenceEqual(b.contiguous().bytes);

    /// <summary>Equal within float tolerance: 1e-4 of the largest logit (libtorch 2.10 here, PyTorch 1.13 there: other kernels, other rounding).</summary>
    private static void AssertClose(float[][] expected, float[][] actual, string what)
    {
        double scale = expected.SelectMany(r => r).Max(v => Math.Abs(v));
        double worst = expected.Zip(actual).SelectMany(p => p.First.Zip(p.Second, (e, a) => Math.Abs(e - a))).Max();
        Assert.True(worst <= 1e-4 * scale, $"{what}: logits differ by up to {worst:G3} (largest logit {scale:G3}); expected {JsonSerializer.Serialize(expected)}, got {JsonSerializer.Serialize(actual)}");
    }

    [Theory]
    [InlineData(ResNetFlavour.Torchvision, false)]
    [InlineData(ResNetFlavour.Timm, true)]
    public void A_torchvision_checkpoint_made_by_PyTorch_loads_as_it_is_and_gives_PyTorchs_logits(ResNetFlavour flavour, bool zeroInitLast)
    {
        using var model = Create(Config(flavour, HeadKind.Library, PyTorchFixture.Classes, zeroInitLast: zeroInitLast));

        int loaded = PretrainedWeights.Load(model, PyTorchFixture.Resnet18ThreeClassPth(_temp), newHead: false);

        Assert.Equal(model.state_dict().Count, loaded); // every parameter and buffer, num_batches_tracked included
        AssertClose(PyTorchFixture.Logits, Logits(model, PyTorchFixture.Input, PyTorchFixture.InputShape), $"{flavour} from torchvision's state dict");
    }

    [Theory]
    [InlineData(".safetensors")]
    [InlineData(".pth")]
    public void A_state_dict_we_write_reads_back_to_the_same_weights(string extension)
    {
        var config = Config(ResNetFlavour.Timm, HeadKind.Fastai, 5);
        using var original = Create(config, seed: 1);
        TestWeights.RandomizeBatchNorms(original, seed: 2);
        string path = Path.Combine(_temp, "exported" + extension);
        StateDictFile.Write(path, original, new Dictionary<string, string> { ["pipeline.run"] = "test" });

        using var copy = Create(config, seed: 3);
        PretrainedWeights.Load(copy, path, newHead: false);

        var expected = original.state_dict();
        foreach (var (key, tensor) in copy.state_dict())
            Assert.True(Same(tensor, expected[key]), $"{key} differs after the round trip through {extension}");
    }

    [Fact]
    public void A_safetensors_file_is_the_same_bytes_for_the_same_weights_with_PyTorchs_names_and_its_metadata()
    {
        using var model = Create(Config(ResNetFlavour.Torchvision, HeadKind.Library, 2));
        string a = Path.Combine(_temp, "a.safetensors"), b = Path.Combine(_temp, "b.safetensors");
        StateDictFile.Write(a, model, new Dictionary<string, string> { ["pipeline.classes"] = "cat,dog" });
        StateDictFile.Write(b, model, new Dictionary<string, string> { ["pipeline.classes"] = "cat,dog" });

        Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));
        byte[] bytes = File.ReadAllBytes(a);
        long headerLength = BitConverter.ToInt64(bytes, 0);
        Assert.Equal(0, headerLength % 8); // padded, so the data is aligned as the safetensors library aligns it
        using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        Assert.Equal("pt", header.RootElement.GetProperty("__metadata__").GetProperty("format").GetString());
        Assert.Equal("cat,dog", header.RootElement.GetProperty("__metadata__").GetProperty("pipeline.classes").GetString());
        Assert.Equal([2, 512], header.RootElement.GetProperty("fc.weight").GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));
        Assert.Equal("I64", header.RootElement.GetProperty("bn1.num_batches_tracked").GetProperty("dtype").GetString());
        Assert.Equal(8 + headerLength + header.RootElement.EnumerateObject().Where(p => p.Name != "__metadata__")
            .Max(p => p.Value.GetProperty("data_offsets")[1].GetInt64()), bytes.Length);
    }

    [Fact]
    public void Another_class_count_is_refused_naming_the_head_and_the_fix_and_loads_with_a_new_head()
    {
        string pth = PyTorchFixture.Resnet18ThreeClassPth(_temp);
        var config = Config(ResNetFlavour.Torchvision, HeadKind.Library, 10);
        using var model = Create(config);

        var error = Assert.Throws<StateDictMismatchException>(() => PretrainedWeights.Load(model, pth, newHead: false));

        Assert.Contains($"{pth} does not fit this run's resnet18 (torchvision, library head, 10 classes)", error.Message);
        Assert.Contains("2 wrong shape(s): fc.weight [3, 512] in the file, [10, 512] here; fc.bias [3] in the file, [10] here.", error.Message);
        Assert.Contains("its classifier has 3 outputs and this dataset 10 classes: --new-head re-initialises the classifier", error.Message);

        // With a new head: the backbone is the file's, the classifier the seeded init's for 10 classes.
        using var fresh = Create(config);
        int loaded = PretrainedWeights.Load(model, pth, newHead: true);
        Assert.Equal(model.state_dict().Count - 2, loaded);
        Assert.True(Same(model.state_dict()["fc.weight"], fresh.state_dict()["fc.weight"]));
        Assert.False(Same(model.state_dict()["conv1.weight"], fresh.state_dict()["conv1.weight"]));
    }

    [Fact]
    public void Another_depth_is_refused_listing_the_missing_keys_and_naming_the_depth_the_file_holds()
    {
        using var model = Create(Config(ResNetFlavour.Timm, HeadKind.Library, PyTorchFixture.Classes, ResNetArch.ResNet34));

        var error = Assert.Throws<StateDictMismatchException>(() => PretrainedWeights.Load(model, PyTorchFixture.Resnet18ThreeClassPth(_temp), newHead: false));

        Assert.Contains("missing key(s): layer1.2.conv1.weight;", error.Message);
        Assert.Contains("it holds a resnet18, this run a resnet34: train with --arch resnet18", error.Message);
    }

    [Fact]
    public void Another_head_kind_is_refused_naming_both_heads_and_both_fixes()
    {
        using var model = Create(Config(ResNetFlavour.Torchvision, HeadKind.Fastai, PyTorchFixture.Classes));

        var error = Assert.Throws<StateDictMismatchException>(() => PretrainedWeights.Load(model, PyTorchFixture.Resnet18ThreeClassPth(_temp), newHead: false));

        Assert.Contains("missing key(s): head.2.weight;", error.Message);
        Assert.Contains("2 unexpected key(s): fc.bias; fc.weight.", error.Message);
        Assert.Contains("its classifier is a library head and this run's a fastai head: train with --head library to load it, or --new-head", error.Message);
        Assert.Equal(model.state_dict().Count - 12, PretrainedWeights.Load(model, PyTorchFixture.Resnet18ThreeClassPth(_temp), newHead: true)); // 9 head tensors, 3 counters
    }

    [Fact]
    public void A_timm_model_with_another_stem_is_refused_naming_the_stem()
    {
        using var source = Create(Config(ResNetFlavour.Timm, HeadKind.Library, 3));
        // timm's deep stem (resnet18d): three 3x3 convs with their norms where the 7x7 conv1 and bn1 are.
        var deepStem = source.state_dict().Where(p => !p.Key.StartsWith("conv1.", StringComparison.Ordinal) && !p.Key.StartsWith("bn1.", StringComparison.Ordinal))
            .Append(new("conv1.0.weight", zeros(32, 3, 3, 3))).Append(new("conv1.1.weight", ones(32))).Append(new("conv1.3.weight", zeros(32, 32, 3, 3)))
            .Append(new("conv1.6.weight", zeros(64, 32, 3, 3)));
        string path = Path.Combine(_temp, "resnet18d.safetensors");
        StateDictFile.Write(path, deepStem);
        using var model = Create(Config(ResNetFlavour.Timm, HeadKind.Library, 3));

        var error = Assert.Throws<StateDictMismatchException>(() => PretrainedWeights.Load(model, path, newHead: false));

        Assert.Contains("missing key(s): conv1.weight; bn1.weight; bn1.bias; bn1.running_mean; bn1.running_var.", error.Message);
        Assert.Contains("unexpected key(s): conv1.0.weight; conv1.1.weight; conv1.3.weight; conv1.6.weight.", error.Message);
        Assert.Contains("its stem is a deep stem (conv1.0, conv1.1, …: timm's resnet18d/34d/50d and kin), which this project does not build", error.Message);
    }

    [Fact]
    public void A_file_that_is_no_state_dict_is_refused_naming_it()
    {
        string text = Path.Combine(_temp, "notes.pth");
        File.WriteAllText(text, "not a checkpoint");
        string other = Path.Combine(_temp, "weights.h5");
        File.WriteAllText(other, "keras");
        using var model = Create(Config(ResNetFlavour.Timm, HeadKind.Library, 3));

        var unreadable = Assert.Throws<InvalidDataException>(() => PretrainedWeights.Load(model, text, newHead: false));
        var unknown = Assert.Throws<InvalidDataException>(() => PretrainedWeights.Load(model, other, newHead: false));

        Assert.StartsWith($"{text} cannot be read as a PyTorch state dict", unreadable.Message);
        Assert.Contains("torch.save(model.state_dict(), 'x.pth')", unreadable.Message);
        Assert.Contains("'.h5' is not a state-dict format read here", unknown.Message);
    }

    /// <summary>What PyTorch loads in the export tests: both formats, both heads, two depths, weights from fixed seeds.</summary>
    private static readonly (ResNetConfig Config, string File)[] s_exports =
    [
        (Config(ResNetFlavour.Torchvision, HeadKind.Library, 3), "resnet18-library-3.safetensors"),
        (Config(ResNetFlavour.Timm, HeadKind.Fastai, 4, zeroInitLast: true), "resnet18-fastai-4.pth"),
        (Config(ResNetFlavour.Torchvision, HeadKind.Fastai, 2, ResNetArch.ResNet50), "resnet50-fastai-2.safetensors"),
    ];

    /// <summary>Writes each of <see cref="s_exports"/> into the temporary folder; returns each file's path and our logits for the fixed input.</summary>
    private Dictionary<string, (string Path, float[][] Logits)> ExportForPyTorch()
    {
        var exports = new Dictionary<string, (string, float[][])>();
        foreach (var (config, file) in s_exports)
            exports[file] = (Path.Combine(_temp, file), ExportAndScore(config, Path.Combine(_temp, file)));
        return exports;
    }

    private static float[][] ExportAndScore(ResNetConfig config, string path)
    {
        using var model = Create(config, seed: 5);
        TestWeights.RandomizeBatchNorms(model, seed: 6);
        StateDictFile.Write(path, model, new Dictionary<string, string> { ["pipeline.architecture"] = config.Arch.Name() });
        return Logits(model, PyTorchFixture.Input, PyTorchFixture.InputShape);
    }

    /// <summary>
    /// What PyTorch reads from a state-dict file: the SHA-256 of a safetensors file's bytes; for a .pth, of its tensors (each
    /// name, dtype, shape and bytes, in name order), because torch.save's zip format as PyBridge writes it holds the dict
    /// in a per-process order (.NET randomises string hashes), so two writes of the same weights differ in bytes.
    /// </summary>
    private static string Sha256Of(string path)
    {
        if (path.EndsWith(".safetensors", StringComparison.Ordinal))
            return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));
        using var scope = NewDisposeScope();
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var (name, tensor) in StateDictFile.Read(path).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes($"{name} {tensor.dtype} [{string.Join(",", tensor.shape)}]\n"));
            hash.AppendData(tensor.contiguous().bytes);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>
    /// The other direction without PyTorch (CI): the files we export now are byte for byte the ones PyTorch loaded when the
    /// fixture was made, and our logits are the logits PyTorch computed from them.
    /// </summary>
    [Fact]
    public void State_dicts_we_export_are_the_files_PyTorch_loaded_and_give_the_logits_it_computed()
    {
        foreach (var (file, (path, ours)) in ExportForPyTorch())
        {
            var loaded = PyTorchFixture.Export(file);
            Assert.True(Sha256Of(path) == loaded.Sha256,
                $"{file} is no longer the file PyTorch loaded ({PyTorchFixture.ExportsFile}); if the writer changed on purpose, refresh the fixture: {PyTorchFixture.RefreshExportsCommand}");
            AssertClose(loaded.Logits, ours, $"{file} in {PyTorchFixture.ExportsMadeWith}");
        }
    }

    /// <summary>
    /// The other direction, checked by PyTorch itself: state dicts we write load into torchvision's ResNet (or
    /// src/Pipeline.Models/PyTorch/pipeline_resnet.py's, for the fastai head) unchanged and give our logits. With
    /// PIPELINE_REFRESH_PYTORCH_FIXTURES=1 it also rewrites the committed fixture the test above reads.
    /// </summary>
    [PyTorchFact]
    public void State_dicts_we_export_load_into_PyTorch_and_give_our_logits()
    {
        var exports = ExportForPyTorch();
        string request = Path.Combine(_temp, "request.json");
        File.WriteAllText(request, JsonSerializer.Serialize(new
        {
            input_shape = PyTorchFixture.InputShape, input = PyTorchFixture.Input, files = exports.Values.Select(e => e.Path),
        }));

        using var python = Process.Start(new ProcessStartInfo(PyTorchFactAttribute.Python,
            [TestRepository.PathOf("tests/Pipeline.Models.Tests/PyTorch/logits_of_exports.py"), request]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        string output = python.StandardOutput.ReadToEnd(), errors = python.StandardError.ReadToEnd();
        python.WaitForExit();
        Assert.True(python.ExitCode == 0, $"PyTorch could not load our state dicts: {errors}");

        using var answer = JsonDocument.Parse(output);
        string versions = answer.RootElement.GetProperty("versions").GetString()!;
        var theirs = exports.ToDictionary(e => e.Key, e => PyTorchFixture.RowsOf(answer.RootElement.GetProperty(e.Value.Path)));
        foreach (var (file, (_, ours)) in exports)
            AssertClose(ours, theirs[file], $"{file} in {versions}");
        if (Environment.GetEnvironmentVariable("PIPELINE_REFRESH_PYTORCH_FIXTURES") == "1")
            PyTorchFixture.WriteExports(versions, exports.ToDictionary(e => e.Key, e => (Sha256Of(e.Value.Path), theirs[e.Key])));
    }
}
