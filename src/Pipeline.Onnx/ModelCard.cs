using System.Globalization;
using System.Text;
using Pipeline.Data;
using Pipeline.Experiments;
using Pipeline.Inference;
using Pipeline.Models;

namespace Pipeline.Onnx;

/// <summary>
/// The Markdown card written beside each exported model: what it is, its metadata, the preprocessing it
/// expects and does, and how to run it from .NET. Everything in it comes from the metadata and the exported
/// bytes, so it is as deterministic as the model.
/// </summary>
internal static class ModelCard
{
    public static string Render(ResNetConfig config, ModelMetadata m, string fileName, byte[] onnx, OnnxExportOptions options)
    {
        var inv = CultureInfo.InvariantCulture;
        string Cell(string s) => s.Length == 0 ? "—" : s.Replace("|", "\\|", StringComparison.Ordinal);
        string top1 = double.IsNaN(m.ValTop1) ? "not recorded" : (m.ValTop1 * 100).ToString("F2", inv) + " %";
        string meanStd = $"mean [{string.Join(", ", m.Mean.Select(v => v.ToString("R", inv)))}], std [{string.Join(", ", m.Std.Select(v => v.ToString("R", inv)))}]";
        bool identity = m.Mean.All(v => v == 0) && m.Std.All(v => v == 1);
        int top = CenterCrop.Offset(m.InputHeight, m.CropSize), left = CenterCrop.Offset(m.InputWidth, m.CropSize);

        var sb = new StringBuilder();
        void Line(string s = "") => sb.Append(s).Append('\n');

        Line($"# {fileName}: {config.Arch}, {config.Flavour} flavour, zero-init-last {(config.ZeroInitLast ? "on" : "off")}, {config.Head} head");
        Line();
        string trained = m.InitWeightsSha256.Length > 0
            ? $"fine-tuned with TorchSharp from a PyTorch state dict (SHA-256 `{m.InitWeightsSha256}`)"
            : "trained from scratch with TorchSharp";
        Line($"An image classifier for {m.Classes.Count} classes, {trained} and exported to ONNX " +
             $"(opset {ResNetGraph.Opset}, IR version {ResNetGraph.IrVersion}). The file is self-contained: it takes " +
             "pixels as ML.NET's `ExtractPixels` gives them and does its own crop, scaling and normalisation; its " +
             "`metadata_props` carry everything below, so a consumer needs nothing but the `.onnx` file.");
        Line();
        Line(m.Quantization.Length > 0
            ? $"**Validation top-1 of the float model at export: {top1}** (the trainer's; this quantized copy's own: `pipeline validate` or `evaluate`)."
            : $"**Validation top-1 at export: {top1}.**");
        Line();
        Line("## Model");
        Line();
        Line("| | |");
        Line("|---|---|");
        Line($"| Architecture | {config.Arch} ({(config.Layout.BackboneParameters / 1e6).ToString("F1", inv)} M parameters in the backbone), {config.Flavour} module layout and initialisation |");
        Line($"| Zero-init of each block's last BatchNorm γ | {(config.ZeroInitLast ? "yes" : "no")} |");
        Line($"| Head | {(config.Head == HeadKind.Fastai ? $"fastai (concat max+avg pool, BatchNorm1d, dropout, {2 * config.Layout.Features}→512, ReLU, BatchNorm1d, dropout, 512→classes)" : "library (global average pool, fc)")} |");
        Line($"| BatchNorm | {(options.FoldBatchNorm ? "folded into the neighbouring Conv/Gemm" : "BatchNormalization nodes (unfolded)")} |");
        Line($"| Precision | {(m.Quantization.Length > 0 ? Cell(m.Quantization) : "float32")} |");
        Line($"| Recipe | {Cell(m.Recipe)} |");
        Line($"| Epochs | {m.Epochs.ToString(inv)} |");
        Line($"| Seed | {m.Seed.ToString(inv)} |");
        Line($"| Run | {Cell(m.RunName)} |");
        Line($"| Dataset fingerprint | {Cell(m.DatasetFingerprint)} |");
        Line($"| Checkpoint SHA-256 | {Cell(m.CheckpointSha256)} |");
        Line($"| Project version | {Cell(m.ProjectVersion)} |");
        Line($"| File | `{fileName}`, {onnx.Length.ToString("N0", inv)} bytes, SHA-256 `{OnnxExporter.Sha256(onnx)}` |");
        Line();
        Line("## Input and outputs");
        Line();
        Line("| Name | Type | Meaning |");
        Line("|---|---|---|");
        Line($"| `{ModelMetadata.InputName}` (input) | float32 [batch, 3, {m.InputHeight}, {m.InputWidth}] | planar RGB (all R, then G, then B), values {m.PixelRange} |");
        Line($"| `{ModelMetadata.LogitsName}` | float32 [batch, {m.Classes.Count}] | raw scores, in class order below |");
        Line($"| `{ModelMetadata.ProbabilitiesName}` | float32 [batch, {m.Classes.Count}] | softmax of the logits |");
        Line();
        Line("## Preprocessing");
        Line();
        Line($"Before the model (the caller): load the image as RGB, resize it with policy `{m.ResizePolicy}` to " +
             $"{m.InputWidth}x{m.InputHeight} (ML.NET `ResizingKind.IsoCrop`: scale the short side to the target, centre-crop " +
             "the long side), then extract the pixels planar, as floats 0..255 (`ExtractPixels` with offset 0 and scale 1).");
        Line();
        Line($"Inside the graph: centre crop to {m.CropSize}x{m.CropSize} (rows {top}..{top + m.CropSize - 1}, columns " +
             $"{left}..{left + m.CropSize - 1}), divide by 255, then normalise per channel with {meanStd}" +
             (identity ? " (the identity: the recipe trains on 0..1 pixels)." : "."));
        Line();
        Line("## Classes (output order)");
        Line();
        Line("| Index | Id | Name |");
        Line("|---|---|---|");
        for (int i = 0; i < m.Classes.Count; i++)
            Line($"| {i.ToString(inv)} | {Cell(m.Classes[i].Id)} | {Cell(m.Classes[i].Name)} |");
        Line();
        Line("## Use it from .NET");
        Line();
        Line("With the project's inference library (the ZeroInitLab.Imagenette.Inference.Cpu or .Gpu package: `dotnet cake --target=Pack`), which reads all of the above from the file:");
        Line();
        Line("```csharp");
        Line($"using var classifier = ImageClassifier.Load(\"{fileName}\");");
        Line("foreach (var p in classifier.Classify(\"image.jpg\", topK: 3))");
        Line("    Console.WriteLine($\"{p.ClassName}: {p.Probability:P1}\");");
        Line("```");
        Line();
        Line("With ML.NET (Microsoft.ML, Microsoft.ML.ImageAnalytics, Microsoft.ML.OnnxTransformer):");
        Line();
        Line("```csharp");
        Line("var ml = new MLContext();");
        Line("var pipeline = ml.Transforms.LoadImages(\"image\", imageFolder, \"path\")");
        Line($"    .Append(ml.Transforms.ResizeImages(\"image\", {m.InputWidth}, {m.InputHeight}, resizing: ImageResizingEstimator.ResizingKind.IsoCrop))");
        Line($"    .Append(ml.Transforms.ExtractPixels(\"{ModelMetadata.InputName}\", \"image\", interleavePixelColors: false, offsetImage: 0, scaleImage: 1))");
        Line($"    .Append(ml.Transforms.ApplyOnnxModel(new[] {{ \"{ModelMetadata.LogitsName}\", \"{ModelMetadata.ProbabilitiesName}\" }}, new[] {{ \"{ModelMetadata.InputName}\" }}, \"{fileName}\"));");
        Line("var scored = pipeline.Fit(images).Transform(images); // column \"probabilities\": float[" + m.Classes.Count.ToString(inv) + "] per image");
        Line("```");
        Line();
        Line("With ONNX Runtime alone (Microsoft.ML.OnnxRuntime), given `pixels` prepared as above:");
        Line();
        Line("```csharp");
        Line($"using var session = new InferenceSession(\"{fileName}\");");
        Line("var meta = ModelMetadata.FromProperties(session.ModelMetadata.CustomMetadataMap, \"" + fileName + "\"); // Pipeline.Inference");
        Line($"var input = new DenseTensor<float>(pixels, new[] {{ 1, 3, {m.InputHeight}, {m.InputWidth} }});");
        Line($"using var results = session.Run(new[] {{ NamedOnnxValue.CreateFromTensor(\"{ModelMetadata.InputName}\", input) }});");
        Line($"float[] probabilities = results.First(r => r.Name == \"{ModelMetadata.ProbabilitiesName}\").AsEnumerable<float>().ToArray();");
        Line("string predicted = meta.Classes[Array.IndexOf(probabilities, probabilities.Max())].Name;");
        Line("```");
        return sb.ToString();
    }
}
