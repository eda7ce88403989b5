using System.Security.Cryptography;
using Google.Protobuf;
using Pipeline.Experiments;
using Pipeline.Inference;
using Pipeline.Models;

namespace Pipeline.Onnx;

/// <summary>How <see cref="OnnxExporter.Export"/> writes the graph.</summary>
public sealed record OnnxExportOptions
{
    /// <summary>
    /// Fold every BatchNorm into the convolution (or, in fastai's head, the linear) next to it: fewer nodes, the
    /// same function up to float rounding. Off: BatchNormalization nodes with the running statistics as they are.
    /// </summary>
    public bool FoldBatchNorm { get; init; } = true;

    /// <summary>Write the Markdown model card beside the model (<c>Path.ChangeExtension(path, ".md")</c>).</summary>
    public bool WriteModelCard { get; init; } = true;

    /// <summary>
    /// Quantize to int8 (QDQ, see <see cref="ActivationRanges"/>), calibrated on these images; null: float32.
    /// Needs <see cref="FoldBatchNorm"/>.
    /// </summary>
    public Int8Calibration? Int8 { get; init; }
}

/// <summary>Export failed; the message names the file and says why. Nothing was written.</summary>
public sealed class OnnxExportException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Writes a <see cref="ResNet"/> as a self-contained ONNX model: input <c>pixels</c>, float32
/// [batch, 3, InputHeight, InputWidth], planar RGB in 0..255 as ML.NET's <c>ExtractPixels</c> gives it; the
/// graph centre-crops, scales and normalises, runs the network and outputs <c>logits</c> and
/// <c>probabilities</c>; <see cref="ModelMetadata"/> goes into <c>metadata_props</c>.
/// </summary>
/// <remarks>
/// Deterministic: the same weights and metadata give the same bytes (nodes and initializers in network order,
/// metadata keys sorted, no timestamps or random names). Atomic: the model and its card are written to
/// temporary files in the target folder and renamed into place, so a failure leaves no partial file.
/// </remarks>
public static class OnnxExporter
{
    /// <summary>Exports <paramref name="model"/> (in eval mode) to <paramref name="path"/>; returns the metadata written (with how it was quantized).</summary>
    /// <exception cref="OnnxExportException">The model, the metadata or the path is unusable; nothing was written.</exception>
    public static ModelMetadata Export(ResNet model, ModelMetadata metadata, string path, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        options ??= new OnnxExportOptions();

        string target = Path.GetFullPath(path);
        if (model.training)
            throw new OnnxExportException($"{target}: the model is in training mode. Call model.eval() before exporting: the export is of the eval-mode network (BatchNorm running statistics, no dropout).");
        Validate(model.Config, metadata, target);

        byte[] onnx;
        if (options.Int8 is { } calibration)
        {
            if (!options.FoldBatchNorm)
                throw new OnnxExportException($"{target}: int8 export needs BatchNorm folded into the convolutions; drop --no-fold.");
            if (calibration.Count < 1 || calibration.Pixels.Length != calibration.Count * 3 * metadata.InputHeight * metadata.InputWidth)
                throw new OnnxExportException($"{target}: the int8 calibration holds {calibration.Pixels.Length} floats, not {calibration.Count} image(s) of " +
                    $"3×{metadata.InputHeight}×{metadata.InputWidth} (the graph's input); nothing was written.");
            var activations = new List<string>();
            byte[] observing = ResNetGraph.Build(model, metadata, foldBatchNorm: true, target, observed: activations).ToByteArray();
            var ranges = ActivationRanges.Measure(observing, activations, calibration, metadata.InputHeight, metadata.InputWidth);
            metadata = metadata with { Quantization = ranges.Description };
            onnx = ResNetGraph.Build(model, metadata, foldBatchNorm: true, target, int8: ranges).ToByteArray();
        }
        else
        {
            onnx = ResNetGraph.Build(model, metadata, options.FoldBatchNorm, target).ToByteArray();
        }
        var files = new List<(string Path, byte[] Bytes)>();
        if (options.WriteModelCard)
        {
            string card = ModelCard.Render(model.Config, metadata, Path.GetFileName(target), onnx, options);
            files.Add((Path.ChangeExtension(target, ".md"), System.Text.Encoding.UTF8.GetBytes(card)));
        }
        files.Add((target, onnx)); // renamed last: once the .onnx is there, everything is
        WriteAtomically(files, target);
        return metadata;
    }

    /// <summary>Lowercase hex SHA-256 of the bytes: the model card's fingerprint of the exported file.</summary>
    internal static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static void Validate(ResNetConfig config, ModelMetadata m, string target)
    {
        var problems = new List<string>();
        if (m.Classes.Count != config.NumClasses)
            problems.Add($"the metadata lists {m.Classes.Count} classes but the model has {config.NumClasses} outputs");
        if (!string.Equals(m.Flavour, config.Flavour.ToString(), StringComparison.OrdinalIgnoreCase))
            problems.Add($"metadata flavour '{m.Flavour}' is not the model's ({config.Flavour})");
        if (!string.Equals(m.Head, config.Head.ToString(), StringComparison.OrdinalIgnoreCase))
            problems.Add($"metadata head '{m.Head}' is not the model's ({config.Head})");
        if (m.ZeroInitLast != config.ZeroInitLast)
            problems.Add($"metadata zero-init-last {m.ZeroInitLast} is not the model's ({config.ZeroInitLast})");
        if (m.CropSize < 32)
            problems.Add($"crop size {m.CropSize} is below a ResNet's minimum of 32 pixels");
        if (m.CropSize > m.InputWidth || m.CropSize > m.InputHeight)
            problems.Add($"crop size {m.CropSize} is larger than the input ({m.InputWidth}x{m.InputHeight})");
        if (m.Mean.Count != 3 || m.Std.Count != 3)
            problems.Add($"mean and std need 3 values (RGB), got {m.Mean.Count} and {m.Std.Count}");
        else if (m.Mean.Any(v => !float.IsFinite(v)) || m.Std.Any(v => !float.IsFinite(v) || v <= 0))
            problems.Add("mean must be finite and std finite and positive");
        if (m.PixelRange != "0-255")
            problems.Add($"pixel range '{m.PixelRange}' is not supported: the graph scales 0-255 input to 0..1");
        if (m.Classes.Select(c => c.Id).Distinct(StringComparer.Ordinal).Count() != m.Classes.Count)
            problems.Add("class ids are not distinct");
        if (problems.Count > 0)
            throw new OnnxExportException($"{target}: cannot export, nothing was written: {string.Join("; ", problems)}.");
    }

    private static void WriteAtomically(IReadOnlyList<(string Path, byte[] Bytes)> files, string target)
    {
        try
        {
            // The card is renamed before the model: if the model's rename fails, the new card goes too.
            AtomicFile.WriteAll(files.Select(f => (f.Path, (Action<Stream>)(s => s.Write(f.Bytes)))).ToArray());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new OnnxExportException($"{target}: cannot write the ONNX model there, nothing was written: {e.Message}", e);
        }
    }
}
