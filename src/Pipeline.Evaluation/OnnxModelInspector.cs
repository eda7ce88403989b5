using System.Security.Cryptography;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Transforms.Image;
using Pipeline.Inference;
using ModelMetadata = Pipeline.Inference.ModelMetadata;

namespace Pipeline.Evaluation;

/// <summary>A model file checked against its metadata, ready for the ML.NET pipeline.</summary>
public sealed record InspectedModel
{
    public required string Path { get; init; }
    public required string Name { get; init; }
    public required string Sha256 { get; init; }
    public required long FileBytes { get; init; }
    public required ModelMetadata Metadata { get; init; }
    /// <summary>True when the metadata came from the file, false when the caller gave it.</summary>
    public required bool MetadataFromFile { get; init; }
    /// <summary>The device a session actually started on for this model.</summary>
    public required ExecutionDevice Device { get; init; }
    public required ImageResizingEstimator.ResizingKind Resizing { get; init; }
}

/// <summary>
/// Opens a model once with ONNX Runtime, before ML.NET does, to turn every way a file can be
/// unusable into one <see cref="EvaluationException"/> naming it: not ONNX or truncated, no
/// metadata, a graph that disagrees with its metadata.
/// </summary>
public static class OnnxModelInspector
{
    public static InspectedModel Inspect(ModelToEvaluate model, ExecutionDevice device)
    {
        string path = System.IO.Path.GetFullPath(model.Path);
        if (!File.Exists(path))
            throw new EvaluationException(path, "the model file does not exist.");
        long bytes = new FileInfo(path).Length;

        (InferenceSession session, device) = OpenSession(path, bytes, device);
        using (session)
        {
            var metadata = model.Metadata ?? ReadMetadata(session, path);
            CheckMetadata(metadata, path);
            CheckGraph(session, metadata, path);
            return new InspectedModel
            {
                Path = path,
                Name = model.Name,
                Sha256 = Sha256Of(path),
                FileBytes = bytes,
                Metadata = metadata,
                MetadataFromFile = model.Metadata is null,
                Device = device,
                Resizing = ResizingOf(metadata, path),
            };
        }
    }

    public static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static (InferenceSession, ExecutionDevice) OpenSession(string path, long bytes, ExecutionDevice device)
    {
        if (device.GpuDeviceId is int gpu)
        {
            // The trial session: the CUDA provider can load and still fail to start (no device, wrong driver).
            try
            {
                using var options = SessionOptions.MakeSessionOptionWithCudaProvider(gpu);
                return (new InferenceSession(path, options), device);
            }
            catch (OnnxRuntimeException ex) when (!IsModelProblem(ex))
            {
                device = ExecutionDevice.Cpu($"a session on CUDA:{gpu} did not start: {ExecutionDevice.ShortReason(ex.Message)}");
            }
        }
        try
        {
            return (new InferenceSession(path), device);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new EvaluationException(path,
                $"not a readable ONNX model ({bytes:N0} bytes; ONNX Runtime: {ExecutionDevice.ShortReason(ex.Message)}). " +
                "The file is truncated or is not ONNX: export it again with the `export` command.", ex);
        }
    }

    private static bool IsModelProblem(OnnxRuntimeException ex) =>
        ex.Message.Contains("InvalidProtobuf", StringComparison.Ordinal) || ex.Message.Contains("INVALID_PROTOBUF", StringComparison.Ordinal)
        || ex.Message.Contains("InvalidGraph", StringComparison.Ordinal) || ex.Message.Contains("INVALID_GRAPH", StringComparison.Ordinal);

    private static ModelMetadata ReadMetadata(InferenceSession session, string path)
    {
        try
        {
            return ModelMetadata.FromProperties(session.ModelMetadata.CustomMetadataMap, path);
        }
        catch (InvalidDataException ex)
        {
            // FromProperties already names the file and says to re-export; add the other way out.
            throw new EvaluationException(path,
                ex.Message[(ex.Message.StartsWith(path + ": ", StringComparison.Ordinal) ? path.Length + 2 : 0)..] +
                " (API: pass ModelToEvaluate.Metadata.)", ex);
        }
    }

    private static void CheckMetadata(ModelMetadata m, string path)
    {
        if (m.Classes.Count == 0)
            throw new EvaluationException(path, "the metadata's class list (pipeline.classes) is empty.");
        var duplicate = m.Classes.GroupBy(c => c.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new EvaluationException(path, $"class '{duplicate.Key}' appears twice in the metadata's class list.");
        if (m.InputWidth <= 0 || m.InputHeight <= 0)
            throw new EvaluationException(path, $"metadata input size {m.InputWidth}×{m.InputHeight} is not a size.");
        if (m.PixelRange != "0-255")
        {
            throw new EvaluationException(path,
                $"metadata pixel range '{m.PixelRange}' is not supported: the ML.NET pipeline feeds raw 0-255 pixels " +
                "(ExtractPixels without scale or offset) and expects the graph to normalise.");
        }
    }

    private static ImageResizingEstimator.ResizingKind ResizingOf(ModelMetadata m, string path) => m.ResizePolicy switch
    {
        "IsoCrop" => ImageResizingEstimator.ResizingKind.IsoCrop,
        "IsoPad" => ImageResizingEstimator.ResizingKind.IsoPad,
        "Fill" => ImageResizingEstimator.ResizingKind.Fill,
        _ => throw new EvaluationException(path,
            $"metadata resize policy '{m.ResizePolicy}' is not one of ML.NET's ResizingKind values (IsoCrop, IsoPad, Fill)."),
    };

    private static void CheckGraph(InferenceSession session, ModelMetadata m, string path)
    {
        if (!session.InputMetadata.TryGetValue(ModelMetadata.InputName, out var input))
        {
            throw new EvaluationException(path,
                $"the graph has no input '{ModelMetadata.InputName}' (inputs: {string.Join(", ", session.InputMetadata.Keys)}): " +
                "it was not exported by this project; re-export it.");
        }
        int[] dims = input.Dimensions;
        bool Fits(int actual, int expected) => actual <= 0 || actual == expected; // <= 0: symbolic
        if (input.ElementType != typeof(float) || dims.Length != 4 || !Fits(dims[1], 3) || !Fits(dims[2], m.InputHeight) || !Fits(dims[3], m.InputWidth))
        {
            throw new EvaluationException(path,
                $"the graph's input '{ModelMetadata.InputName}' is {Describe(input)}, but its metadata says the pipeline feeds " +
                $"float[batch,3,{m.InputHeight},{m.InputWidth}] (pipeline.input_height/input_width): graph and metadata disagree. " +
                "Export the model again, or give metadata that matches the graph.");
        }
        foreach (string name in new[] { ModelMetadata.LogitsName, ModelMetadata.ProbabilitiesName })
        {
            if (!session.OutputMetadata.TryGetValue(name, out var output))
            {
                throw new EvaluationException(path,
                    $"the graph has no output '{name}' (outputs: {string.Join(", ", session.OutputMetadata.Keys)}): re-export it with this project's exporter.");
            }
            int last = output.Dimensions.Length > 0 ? output.Dimensions[^1] : 0;
            if (output.ElementType != typeof(float) || (last > 0 && last != m.Classes.Count))
            {
                throw new EvaluationException(path,
                    $"the graph's output '{name}' is {Describe(output)} but the metadata lists {m.Classes.Count} classes: graph and metadata disagree; re-export it.");
            }
        }
    }

    private static string Describe(NodeMetadata node) =>
        $"{node.ElementType.Name}[{string.Join(",", node.Dimensions.Select(d => d <= 0 ? "?" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]";
}
