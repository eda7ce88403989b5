using Microsoft.ML.OnnxRuntime;
using Pipeline.Experiments;
using Pipeline.Models;
using Pipeline.Models.Tests;
using Pipeline.Onnx.Protos;
using Xunit.Abstractions;
using static TorchSharp.torch;
using ModelMetadata = Pipeline.Inference.ModelMetadata;

namespace Pipeline.Onnx.Tests;

/// <summary>The int8 export: a QDQ graph ONNX Runtime runs on integer kernels, close to the float model it came from.</summary>
public class Int8ExportTests(ITestOutputHelper output)
{
    private static readonly Lazy<(float[] Pixels, int Count)> s_calibration = new(() => TestData.RealValImages(classes: 10, perClass: 3));
    private static readonly Lazy<(float[] Pixels, int Count)> s_test = new(() => TestData.RealValImages(classes: 10, perClass: 2));

    static Int8ExportTests() => TorchRuntime.EnsureLoaded();

    private static ResNet Model(ResNetConfig config)
    {
        manual_seed(4);
        var model = ResNet.Create(config);
        TestWeights.RandomizeBatchNorms(model, 104);
        model.eval();
        return model;
    }

    private static Int8Calibration Calibration() => new(s_calibration.Value.Pixels, s_calibration.Value.Count, "test images");

    private static float[] Logits(string path, float[] pixels, int count)
    {
        using var session = new InferenceSession(path);
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, [count, 3, TestData.InputSize, TestData.InputSize]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [ModelMetadata.InputName], [input], [ModelMetadata.LogitsName]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    [Theory]
    [InlineData(ResNetArch.ResNet18, ResNetFlavour.Torchvision, false, HeadKind.Fastai)]
    [InlineData(ResNetArch.ResNet18, ResNetFlavour.Timm, true, HeadKind.Library)]
    [InlineData(ResNetArch.ResNet34, ResNetFlavour.Timm, false, HeadKind.Fastai)]
    [InlineData(ResNetArch.ResNet50, ResNetFlavour.Torchvision, false, HeadKind.Fastai)]
    public void The_int8_model_answers_as_the_float_model_does(ResNetArch arch, ResNetFlavour flavour, bool zeroInitLast, HeadKind head)
    {
        var config = new ResNetConfig(flavour, zeroInitLast, head) { Arch = arch };
        using var model = Model(config);
        using var scratch = new ScratchFolder();
        string fp32 = scratch.File("fp32.onnx"), int8 = scratch.File("int8.onnx");
        OnnxExporter.Export(model, TestData.Metadata(config), fp32);
        var written = OnnxExporter.Export(model, TestData.Metadata(config), int8, new OnnxExportOptions { Int8 = Calibration() });

        // Other val images than the calibration's.
        var (pixels, count) = s_test.Value;
        var expected = Logits(fp32, pixels, count);
        var actual = Logits(int8, pixels, count);
        double error = Math.Sqrt(expected.Zip(actual, (e, a) => (double)(e - a) * (e - a)).Sum() / expected.Sum(e => (double)e * e));
        int agree = expected.Chunk(10).Zip(actual.Chunk(10), (e, a) => Array.IndexOf(e, e.Max()) == Array.IndexOf(a, a.Max()) ? 1 : 0).Sum();
        output.WriteLine($"{arch}/{flavour}/{head}: relative logit error {error:P2}, top-1 agrees on {agree}/{count}");
        // int8 noise on a random network with trained-looking BatchNorms; a missing scale or a wrong zero point gives errors near 100 %.
        Assert.True(error < 0.15, $"relative logit error {error:P1}");
        Assert.True(agree >= count * 8 / 10, $"top-1 agrees on only {agree}/{count} images");
        Assert.StartsWith("int8 (QDQ)", written.Quantization);
        Assert.Contains("30 images (test images)", written.Quantization);
    }

    [Fact]
    public void The_graph_stores_int8_conv_weights_behind_dequantize_nodes_and_says_so_in_its_metadata_and_card()
    {
        var config = new ResNetConfig(ResNetFlavour.Torchvision, false, HeadKind.Fastai);
        using var model = Model(config);
        using var scratch = new ScratchFolder();
        string path = scratch.File("int8.onnx");
        OnnxExporter.Export(model, TestData.Metadata(config), path, new OnnxExportOptions { Int8 = Calibration() });
        var g = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)).Graph;

        var producer = g.Node.ToDictionary(n => n.Output[0]);
        var initializers = g.Initializer.ToDictionary(t => t.Name);
        var convs = g.Node.Where(n => n.OpType == "Conv").ToList();
        Assert.Equal(20, convs.Count);
        foreach (var conv in convs)
        {
            var input = producer[conv.Input[0]];
            Assert.True(input.OpType == "DequantizeLinear", $"{conv.Name}: input from {input.OpType}");
            Assert.Equal((int)TensorProto.Types.DataType.Uint8, initializers[input.Input[2]].DataType);
            var weight = producer[conv.Input[1]];
            Assert.Equal("DequantizeLinear", weight.OpType);
            Assert.Equal((int)TensorProto.Types.DataType.Int8, initializers[weight.Input[0]].DataType);
            Assert.Equal((int)TensorProto.Types.DataType.Int32, initializers[producer[conv.Input[2]].Input[0]].DataType);
        }
        // Every Q has its DQ; the head's Gemms stay float.
        Assert.Equal(g.Node.Count(n => n.OpType == "QuantizeLinear"), g.Node.Count(n => n.OpType == "DequantizeLinear") - 2 * convs.Count);
        Assert.All(g.Node.Where(n => n.OpType == "Gemm"), n => Assert.Equal((int)TensorProto.Types.DataType.Float, initializers[n.Input[1]].DataType));

        using var session = new InferenceSession(path);
        var metadata = ModelMetadata.FromProperties(session.ModelMetadata.CustomMetadataMap, path);
        Assert.StartsWith("int8 (QDQ)", metadata.Quantization);
        Assert.Contains("| Precision | int8 (QDQ)", File.ReadAllText(Path.ChangeExtension(path, ".md")));
        Assert.True(new FileInfo(path).Length < 16_000_000, $"{new FileInfo(path).Length:N0} bytes: the conv weights should be stored in one byte each");
    }

    [Fact]
    public void Int8_needs_folded_batchnorms_and_calibration_images_of_the_input_size()
    {
        var config = new ResNetConfig(ResNetFlavour.Timm, true, HeadKind.Fastai);
        using var model = Model(config);
        using var scratch = new ScratchFolder();
        string path = scratch.File("int8.onnx");
        var unfolded = Assert.Throws<OnnxExportException>(() =>
            OnnxExporter.Export(model, TestData.Metadata(config), path, new OnnxExportOptions { FoldBatchNorm = false, Int8 = Calibration() }));
        Assert.Contains("drop --no-fold", unfolded.Message);
        var wrongSize = Assert.Throws<OnnxExportException>(() =>
            OnnxExporter.Export(model, TestData.Metadata(config), path, new OnnxExportOptions { Int8 = new Int8Calibration(new float[3 * 64 * 64], 1, "small") }));
        Assert.Contains("3×144×144", wrongSize.Message);
        Assert.False(File.Exists(path));
    }
}
