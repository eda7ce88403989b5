using Pipeline.Inference;

namespace Pipeline.Evaluation;

/// <summary>
/// A model file to evaluate. <paramref name="Metadata"/> is for models that do not carry the
/// project's ONNX metadata (exported elsewhere): it then states the preprocessing and the class
/// list explicitly; when null, the file's own metadata is used and its absence is an error.
/// </summary>
public sealed record ModelToEvaluate(string Path, ModelMetadata? Metadata = null)
{
    /// <summary>The name history and reports know the model by: the file name without ".onnx".</summary>
    public string Name => System.IO.Path.GetFileNameWithoutExtension(Path);

    /// <summary>
    /// The models to evaluate at <paramref name="path"/>: the file itself, or every <c>*.onnx</c> in the folder and its
    /// sub-folders (pipelines export to <c>models/&lt;pipeline&gt;/</c>), in path order. The history knows a model by its
    /// file name, so two files of one name in different folders are refused rather than mixed up.
    /// </summary>
    public static IReadOnlyList<ModelToEvaluate> Find(string path)
    {
        if (File.Exists(path))
            return [new ModelToEvaluate(System.IO.Path.GetFullPath(path))];
        if (!Directory.Exists(path))
            throw new EvaluationException(path, "no such model file or folder.");
        var models = Directory.GetFiles(path, "*.onnx", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(p => new ModelToEvaluate(System.IO.Path.GetFullPath(p)))
            .ToArray();
        if (models.GroupBy(m => m.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twins)
            throw new EvaluationException(path, $"two models are named {twins.Key}: {string.Join(" and ", twins.Select(t => t.Path))}. The history tells models apart by name: rename one, or evaluate one folder.");
        return models.Length > 0 ? models
            : throw new EvaluationException(path, "the folder and its sub-folders hold no *.onnx model: export one first (`export`, or `pipeline run`), or point at another folder.");
    }
}
