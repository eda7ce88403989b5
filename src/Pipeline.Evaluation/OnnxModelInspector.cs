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
/// Opens a model once with ONNX Runtime (<see cref="OnnxModelFile"/>), before ML.NET does, to turn every
/// way a file can be unusable into one <see cref="EvaluationException"/> naming it: not ONNX or truncated,
/// no metadata, a graph that disagrees with its metadata.
/// </summary>
public static class OnnxModelInspector
{
    public static InspectedModel Inspect(ModelToEvaluate model, ExecutionDevice device)
    {
        string path = System.IO.Path.GetFullPath(model.Path);
        try
        {
            (InferenceSession session, device) = OnnxModelFile.Open(path, device);
            using (session)
            {
                var metadata = model.Metadata ?? ReadMetadata(session, path);
                OnnxModelFile.Check(session, metadata, path);
                return new InspectedModel
                {
                    Path = path,
                    Name = model.Name,
                    Sha256 = Sha256Of(path),
                    FileBytes = new FileInfo(path).Length,
                    Metadata = metadata,
                    MetadataFromFile = model.Metadata is null,
                    Device = device,
                    Resizing = ResizingOf(metadata, path),
                };
            }
        }
        catch (InvalidModelException ex)
        {
            throw new EvaluationException(ex.FilePath, ex.Problem, ex);
        }
    }

    public static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>
    /// The file's metadata. A model with none of this project's keys (not exported here) can still be scored from
    /// code with explicit metadata, so that error says how; a damaged key is a damaged file, and re-exporting is the fix.
    /// </summary>
    private static ModelMetadata ReadMetadata(InferenceSession session, string path)
    {
        try
        {
            return OnnxModelFile.ReadMetadata(session, path);
        }
        catch (InvalidModelException ex) when (!session.ModelMetadata.CustomMetadataMap.Keys.Any(k => k.StartsWith("pipeline.", StringComparison.Ordinal)))
        {
            throw new InvalidModelException(path, ex.Problem + " From code, pass its metadata as ModelToEvaluate.Metadata.", ex);
        }
    }

    private static ImageResizingEstimator.ResizingKind ResizingOf(ModelMetadata m, string path) => m.ResizePolicy switch
    {
        "IsoCrop" => ImageResizingEstimator.ResizingKind.IsoCrop,
        "IsoPad" => ImageResizingEstimator.ResizingKind.IsoPad,
        "Fill" => ImageResizingEstimator.ResizingKind.Fill,
        _ => throw new InvalidModelException(path,
            $"metadata resize policy '{m.ResizePolicy}' is not one of ML.NET's ResizingKind values (IsoCrop, IsoPad, Fill)."),
    };
}
