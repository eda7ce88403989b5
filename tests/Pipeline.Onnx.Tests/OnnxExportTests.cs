using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Pipeline.Data;
using Pipeline.Experiments;
using Pipeline.Inference;
using Pipeline.Models;
using Pipeline.Models.Tests;
using Pipeline.Onnx.Protos;
using Xunit.Abstractions;
using static TorchSharp.torch;
using ModelMetadata = Pipeline.Inference.ModelMetadata;
using Tensor = TorchSharp.torch.Tensor;

namespace Pipeline.Onnx.Tests;

public class OnnxExportTests(ITestOutputHelper output)
{
    private const float Tolerance = 1e-4f, RelativeTolerance = 1e-5f;
    private const int Side = TestData.InputSize;

    private static readonly Lazy<(float[] Pixels, int Count)> s_realImages = new(() => TestData.RealValImages());

    static OnnxExportTests() => TorchRuntime.EnsureLoaded();

    /// <summary>A model with trained-looking BatchNorms (random γ, β, μ, σ²), in eval mode.</summary>
    private static ResNet Model(ResNetConfig config, long seed = 1)
    {
        manual_seed(seed);
        var model = ResNet.Create(config);
        TestWeights.RandomizeBatchNorms(model, seed + 100);
        model.eval();
        return model;
    }

    private static float[] RandomPixels(int count, int seed)
    {
        var random = new Random(seed);
        var pixels = new float[count * 3 * Side * Side];
        for (int i = 0; i < pixels.Length; i++)
            pixels[i] = random.Next(256);
        return pixels;
    }

    /// <summary>The preprocessing the graph does, done here in TorchSharp: centre crop, /255, normalise.</summary>
    private static Tensor Preprocess(ModelMetadata m, float[] pixels, int count)
    {
        int crop = m.CropSize, top = CenterCrop.Offset(m.InputHeight, crop), left = CenterCrop.Offset(m.InputWidth, crop);
        var x = tensor(pixels, [count, 3, m.InputHeight, m.InputWidth])
            .slice(2, top, top + crop, 1).slice(3, left, left + crop, 1) / 255f;
        return (x - tensor(m.Mean.ToArray()).view(1, 3, 1, 1)) / tensor(m.Std.ToArray()).view(1, 3, 1, 1);
    }

    /// <summary>The TorchSharp model, eval mode, on <see cref="Preprocess"/>d pixels.</summary>
    private static float[] TorchSharpLogits(ResNet model, ModelMetadata m, float[] pixels, int count)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        return model.forward(Preprocess(m, pixels, count)).data<float>().ToArray();
    }

    private static (float[] Logits, float[] Probabilities) Run(InferenceSession session, float[] pixels, int count)
    {
        var input = new DenseTensor<float>(pixels, [count, 3, Side, Side]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(ModelMetadata.InputName, input)]);
        float[] Get(string name) => results.Single(r => r.Name == name).AsEnumerable<float>().ToArray();
        return (Get(ModelMetadata.LogitsName), Get(ModelMetadata.ProbabilitiesName));
    }

    private static float MaxAbsDiff(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        return a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
    }

    private static int[] Top1(float[] logits, int classes) =>
        logits.Chunk(classes).Select(row => Array.IndexOf(row, row.Max())).ToArray();

    public static TheoryData<ResNetArch, ResNetFlavour, HeadKind> DepthsFlavoursAndHeads() => new()
    {
        { ResNetArch.ResNet18, ResNetFlavour.Torchvision, HeadKind.Library },
        { ResNetArch.ResNet18, ResNetFlavour.Torchvision, HeadKind.Fastai },
        { ResNetArch.ResNet18, ResNetFlavour.Timm, HeadKind.Library },
        { ResNetArch.ResNet18, ResNetFlavour.Timm, HeadKind.Fastai },
        { ResNetArch.ResNet34, ResNetFlavour.Timm, HeadKind.Fastai },
        { ResNetArch.ResNet50, ResNetFlavour.Torchvision, HeadKind.Fastai },
        { ResNetArch.ResNet50, ResNetFlavour.Timm, HeadKind.Fastai },
    };

    [Theory]
    [MemberData(nameof(DepthsFlavoursAndHeads))]
    public void Onnx_Runtime_matches_TorchSharp_within_1e_4_or_1e_5_of_the_largest_logit_folded_and_unfolded_on_random_and_real_images(ResNetArch arch, ResNetFlavour flavour, HeadKind head)
    {
        var config = ResNetConfig.LibraryDefault(flavour, head) with { Arch = arch };
        // One variant normalises with ImageNet statistics, so the graph's Add is exercised too.
        var metadata = flavour == ResNetFlavour.Timm && head == HeadKind.Library
            ? TestData.Metadata(config, TestData.ImagenetMean, TestData.ImagenetStd)
            : TestData.Metadata(config);
        using var model = Model(config);
        using var scratch = new ScratchFolder();
        var (real, realCount) = s_realImages.Value;
        // γ and β stay random; the running statistics become the real images' own, as after training.
        using (var scope = NewDisposeScope())
            TestWeights.CalibrateBatchNorms(model, Preprocess(metadata, real, realCount));
        var random = RandomPixels(4, seed: 5);
        var expectedRandom = TorchSharpLogits(model, metadata, random, 4);
        var expectedReal = TorchSharpLogits(model, metadata, real, realCount);
        var expectedTop1 = Top1(expectedReal, 10);
        // float32 rounding grows with depth and with the logits' scale (random BatchNorms make ResNet50's ~100).
        float tolerance = Math.Max(Tolerance, RelativeTolerance * expectedReal.Concat(expectedRandom).Max(Math.Abs));
        // Untrained, the library heads still split the 16 images over 2 classes, fastai's over about 9: enough for
        // the top-1 check to be more than a constant.
        Assert.True(expectedTop1.Distinct().Count() >= 2, $"TorchSharp predicts one class for every image, the top-1 check would mean nothing: [{string.Join(",", expectedTop1)}]");
        output.WriteLine($"{arch}/{flavour}/{head}: max |logit| {expectedReal.Concat(expectedRandom).Max(Math.Abs):G4}; " +
                         $"TorchSharp top-1 on the {realCount} real images: [{string.Join(",", expectedTop1)}]");

        var byFolding = new Dictionary<bool, float[]>();
        foreach (bool fold in new[] { true, false })
        {
            string path = scratch.File($"{arch}-{flavour}-{head}-{(fold ? "folded" : "unfolded")}.onnx");
            var watch = Stopwatch.StartNew();
            OnnxExporter.Export(model, metadata, path, new OnnxExportOptions { FoldBatchNorm = fold });
            watch.Stop();
            using var session = new InferenceSession(path);
            var (logits, probabilities) = Run(session, random, 4);
            var (realLogits, realProbabilities) = Run(session, real, realCount);
            float randomDiff = MaxAbsDiff(expectedRandom, logits), realDiff = MaxAbsDiff(expectedReal, realLogits);
            output.WriteLine($"  {(fold ? "folded  " : "unfolded")}: max |ORT − TorchSharp| logits random {randomDiff:E2}, real {realDiff:E2}; " +
                             $"export {watch.ElapsedMilliseconds} ms, {new FileInfo(path).Length:N0} bytes");

            Assert.True(randomDiff <= tolerance, $"{(fold ? "folded" : "unfolded")}: random inputs differ by {randomDiff:E2} > {tolerance:E2}");
            Assert.True(realDiff <= tolerance, $"{(fold ? "folded" : "unfolded")}: real images differ by {realDiff:E2} > {tolerance:E2}");
            Assert.Equal(expectedTop1, Top1(realLogits, 10));
            // probabilities = softmax(logits), row by row
            var softmax = nn.functional.softmax(tensor(realLogits, [realCount, 10]), 1).data<float>().ToArray();
            Assert.True(MaxAbsDiff(softmax, realProbabilities) < 1e-6f, "probabilities are not the softmax of the logits");
            Assert.True(probabilities.Chunk(10).All(row => Math.Abs(row.Sum() - 1) < 1e-5), "probabilities rows do not sum to 1");
            byFolding[fold] = realLogits;
        }
        Assert.True(MaxAbsDiff(byFolding[true], byFolding[false]) <= tolerance, "folded and unfolded graphs disagree");
    }

    /// <summary>The heads and the graph follow the dataset's class count: 2, 3 and more than 100 outputs, both heads.</summary>
    [Theory]
    [InlineData(HeadKind.Fastai, 2)]
    [InlineData(HeadKind.Library, 2)]
    [InlineData(HeadKind.Fastai, 3)]
    [InlineData(HeadKind.Library, 3)]
    [InlineData(HeadKind.Fastai, 120)]
    [InlineData(HeadKind.Library, 120)]
    public void Any_number_of_classes_exports_and_Onnx_Runtime_matches_TorchSharp(HeadKind head, int classes)
    {
        var config = ResNetConfig.LibraryDefault(ResNetFlavour.Torchvision, head, classes);
        var metadata = TestData.Metadata(config);
        using var model = Model(config);
        using var scratch = new ScratchFolder();
        var pixels = RandomPixels(3, seed: 7);
        var expected = TorchSharpLogits(model, metadata, pixels, 3);
        string path = scratch.File($"{head}-{classes}.onnx");

        OnnxExporter.Export(model, metadata, path);

        using var session = new InferenceSession(path);
        Assert.Equal([-1, classes], session.OutputMetadata[ModelMetadata.LogitsName].Dimensions);
        var (logits, probabilities) = Run(session, pixels, 3);
        Assert.Equal(3 * classes, logits.Length);
        float tolerance = Math.Max(Tolerance, RelativeTolerance * expected.Max(Math.Abs));
        Assert.True(MaxAbsDiff(expected, logits) <= tolerance, $"{head} head, {classes} classes: ONNX Runtime differs by {MaxAbsDiff(expected, logits):E2} > {tolerance:E2}");
        Assert.True(probabilities.Chunk(classes).All(row => Math.Abs(row.Sum() - 1) < 1e-5), "probabilities rows do not sum to 1");
        Assert.Equal(classes, OnnxModelFile.ReadChecked(session, path).Classes.Count);
    }

    [Theory]
    [InlineData(true, ResNetArch.ResNet18, 20)]
    [InlineData(false, ResNetArch.ResNet18, 20)]
    [InlineData(false, ResNetArch.ResNet50, 53)]
    public void Graph_is_opset_17_ir_8_with_named_dynamic_batch_input_and_outputs(bool fold, ResNetArch arch, int backboneBatchNorms)
    {
        var config = new ResNetConfig(ResNetFlavour.Timm, true, HeadKind.Fastai) { Arch = arch };
        using var model = Model(config);
        using var scratch = new ScratchFolder();
        string path = scratch.File("model.onnx");
        OnnxExporter.Export(model, TestData.Metadata(config), path, new OnnxExportOptions { FoldBatchNorm = fold });
        var proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));

        Assert.Equal(8, proto.IrVersion);
        var opset = Assert.Single(proto.OpsetImport);
        Assert.Equal(("", 17L), (opset.Domain, opset.Version));
        var g = proto.Graph;
        var input = Assert.Single(g.Input);
        Assert.Equal(ModelMetadata.InputName, input.Name);
        Assert.Equal(["batch", "3", "144", "144"], input.Type.TensorType.Shape.Dim.Select(d => d.HasDimParam ? d.DimParam : d.DimValue.ToString()));
        Assert.Equal([ModelMetadata.LogitsName, ModelMetadata.ProbabilitiesName], g.Output.Select(o => o.Name));
        Assert.All(g.Output, o => Assert.Equal("batch", o.Type.TensorType.Shape.Dim[0].DimParam));

        // A small checker: known ops only, every node input defined before use, names unique, raw data sized right.
        string[] allowed = ["Slice", "Mul", "Add", "Conv", "BatchNormalization", "Relu", "MaxPool", "GlobalAveragePool",
            "GlobalMaxPool", "Concat", "Flatten", "Gemm", "Softmax"];
        var defined = new HashSet<string>(g.Initializer.Select(t => t.Name).Append(input.Name));
        Assert.Equal(g.Initializer.Count, defined.Count - 1);
        foreach (var node in g.Node)
        {
            Assert.Contains(node.OpType, allowed);
            Assert.All(node.Input, i => Assert.True(defined.Contains(i), $"{node.Name}: input '{i}' used before it is defined"));
            Assert.All(node.Output, o => Assert.True(defined.Add(o), $"{node.Name}: output '{o}' defined twice"));
        }
        Assert.Equal(g.Node.Count, g.Node.Select(n => n.Name).Distinct().Count());
        foreach (var t in g.Initializer)
        {
            int width = t.DataType == (int)TensorProto.Types.DataType.Float ? 4 : 8;
            Assert.Equal(t.Dims.Aggregate(1L, (a, d) => a * d) * width, t.RawData.Length);
        }

        int batchNorms = g.Node.Count(n => n.OpType == "BatchNormalization");
        Assert.Equal(fold ? 0 : backboneBatchNorms + 2, batchNorms); // BatchNorm2d in the backbone (torchvision's count), 2 BatchNorm1d in fastai's head
        long weights = g.Initializer
            .Where(t => t.DataType == (int)TensorProto.Types.DataType.Float && !t.Name.StartsWith("preprocess.", StringComparison.Ordinal))
            .Sum(t => t.Dims.Aggregate(1L, (a, d) => a * d));
        var p = model.named_parameters().ToList();
        long parameters = p.Sum(x => x.parameter.numel());
        long runningStats = model.named_buffers().Where(b => !b.name.EndsWith("num_batches_tracked", StringComparison.Ordinal)).Sum(b => b.buffer.numel());
        // Unfolded: every parameter and running statistic as it is. Folded: conv and linear weights, plus one bias
        // per output channel of every conv (its BatchNorm2d's channels) and per output of the two head linears.
        long matrices = p.Where(x => x.parameter.dim() >= 2).Sum(x => x.parameter.numel());
        long batchNorm2dChannels = p.Where(x => x.parameter.dim() == 1 && x.name.EndsWith(".weight", StringComparison.Ordinal)
            && !x.name.StartsWith("head.", StringComparison.Ordinal)).Sum(x => x.parameter.numel());
        Assert.Equal(fold ? matrices + batchNorm2dChannels + FastaiHead.HiddenFeatures + 10 : parameters + runningStats, weights);
        output.WriteLine($"{(fold ? "folded" : "unfolded")}: {g.Node.Count} nodes, {g.Initializer.Count} initializers, {weights:N0} weights");
    }

    [Fact]
    public void Exporting_the_same_model_twice_gives_byte_identical_files()
    {
        var config = new ResNetConfig(ResNetFlavour.Torchvision, false, HeadKind.Library);
        using var model = Model(config);
        using var scratch = new ScratchFolder();
        var metadata = TestData.Metadata(config);
        string a = scratch.File("a/model.onnx"), b = scratch.File("b/model.onnx");
        OnnxExporter.Export(model, metadata, a);
        OnnxExporter.Export(model, metadata, b);
        Assert.True(File.ReadAllBytes(a).AsSpan().SequenceEqual(File.ReadAllBytes(b)), "the two .onnx files differ");
        Assert.Equal(File.ReadAllText(Path.ChangeExtension(a, ".md")), File.ReadAllText(Path.ChangeExtension(b, ".md")));
    }

    [Fact]
    public void Metadata_round_trips_through_Onnx_Runtime_and_the_card_describes_the_model()
    {
        var config = new ResNetConfig(ResNetFlavour.Timm, true, HeadKind.Library);
        using var model = Model(config);
        using var scratch = new ScratchFolder();
        var metadata = TestData.Metadata(config, TestData.ImagenetMean, TestData.ImagenetStd);
        string path = scratch.File("timm.onnx");
        OnnxExporter.Export(model, metadata, path);

        using var session = new InferenceSession(path);
        var read = ModelMetadata.FromProperties(session.ModelMetadata.CustomMetadataMap, path);
        Assert.Equal(metadata.ToProperties(), read.ToProperties());
        Assert.Equal(TestData.ImagenetteClasses, read.Classes);
        Assert.Equal("Pipeline", session.ModelMetadata.ProducerName);
        Assert.Equal(ResNetGraph.GraphName(config), session.ModelMetadata.GraphName);
        Assert.Equal(10, Run(session, RandomPixels(1, 3), 1).Logits.Length); // a batch of one: the batch dimension is dynamic

        string card = File.ReadAllText(Path.ChangeExtension(path, ".md"));
        Assert.Contains("81.25 %", card);             // val top-1
        Assert.Contains("| 9 | n03888257 | parachute |", card);
        Assert.Contains("ResizingKind.IsoCrop", card);
        Assert.Contains(OnnxExporter.Sha256(File.ReadAllBytes(path)), card);
    }

    [Fact]
    public void NaN_weights_are_rejected_naming_the_tensor_and_nothing_is_written()
    {
        var config = new ResNetConfig(ResNetFlavour.Torchvision, false, HeadKind.Library);
        using var model = Model(config);
        using (no_grad())
            model.named_parameters().Single(p => p.name == "layer3.1.conv2.weight").parameter[0, 0, 0, 0] = float.NaN;
        using var scratch = new ScratchFolder();
        var e = Assert.Throws<OnnxExportException>(() => OnnxExporter.Export(model, TestData.Metadata(config), scratch.File("nan.onnx")));
        Assert.Contains("layer3.1.conv2.weight", e.Message);
        Assert.Contains(scratch.File("nan.onnx"), e.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(scratch.Path));
    }

    [Fact]
    public void A_path_under_a_file_gives_a_clear_error_and_leaves_no_file()
    {
        var config = new ResNetConfig(ResNetFlavour.Torchvision, false, HeadKind.Library);
        using var model = Model(config);
        using var scratch = new ScratchFolder();
        File.WriteAllText(scratch.File("not-a-folder"), "x");
        string path = scratch.File("not-a-folder/model.onnx");
        var e = Assert.Throws<OnnxExportException>(() => OnnxExporter.Export(model, TestData.Metadata(config), path));
        Assert.Contains(path, e.Message);
        Assert.Equal([scratch.File("not-a-folder")], Directory.EnumerateFileSystemEntries(scratch.Path));
    }

    [Fact]
    public void A_failed_rename_removes_the_temporary_files_and_the_new_card()
    {
        // The target is an existing folder: writing the temporaries succeeds, renaming the model onto it fails.
        var config = new ResNetConfig(ResNetFlavour.Torchvision, false, HeadKind.Library);
        using var model = Model(config);
        using var scratch = new ScratchFolder();
        Directory.CreateDirectory(scratch.File("model.onnx"));
        var e = Assert.Throws<OnnxExportException>(() => OnnxExporter.Export(model, TestData.Metadata(config), scratch.File("model.onnx")));
        Assert.Contains("cannot write", e.Message);
        Assert.Equal([scratch.File("model.onnx")], Directory.EnumerateFileSystemEntries(scratch.Path));
        Assert.Empty(Directory.EnumerateFileSystemEntries(scratch.File("model.onnx")));
    }

    [Fact]
    public void Metadata_that_does_not_describe_the_model_is_rejected()
    {
        var config = new ResNetConfig(ResNetFlavour.Timm, true, HeadKind.Fastai);
        using var model = Model(config);
        using var scratch = new ScratchFolder();
        var good = TestData.Metadata(config);
        var cases = new (ModelMetadata Metadata, string Expected)[]
        {
            (good with { Classes = TestData.ImagenetteClasses[..9] }, "9 classes"),
            (good with { Flavour = "torchvision" }, "flavour"),
            (good with { Head = "library" }, "head"),
            (good with { ZeroInitLast = false }, "zero-init"),
            (good with { CropSize = 160 }, "larger than the input"),
            (good with { Std = [1f, 0f, 1f] }, "std"),
        };
        foreach (var (metadata, expected) in cases)
        {
            var e = Assert.Throws<OnnxExportException>(() => OnnxExporter.Export(model, metadata, scratch.File("m.onnx")));
            Assert.Contains(expected, e.Message);
        }
        Assert.Empty(Directory.EnumerateFileSystemEntries(scratch.Path));
    }

    [Fact]
    public void A_model_in_training_mode_is_rejected()
    {
        var config = new ResNetConfig(ResNetFlavour.Timm, true, HeadKind.Library);
        using var model = Model(config);
        model.train();
        using var scratch = new ScratchFolder();
        var e = Assert.Throws<OnnxExportException>(() => OnnxExporter.Export(model, TestData.Metadata(config), scratch.File("m.onnx")));
        Assert.Contains("eval()", e.Message);
    }
}
