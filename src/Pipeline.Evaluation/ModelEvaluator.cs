using System.Diagnostics;
using Microsoft.ML;
using Pipeline.Inference;
using SkiaSharp;

namespace Pipeline.Evaluation;

/// <summary>All models of one run, scored on the same set.</summary>
public sealed record EvaluationRun
{
    public required string RunId { get; init; }
    public required DateTimeOffset StartedUtc { get; init; }
    public required string SetName { get; init; }
    public required int Examples { get; init; }
    public required string ExamplesFingerprint { get; init; }
    public required string DatasetFingerprint { get; init; }
    public required string ProjectVersion { get; init; }
    public required IReadOnlyList<ModelEvaluation> Models { get; init; }
    /// <summary>What the dataset index warned about the data these models were scored on (<see cref="EvaluationSet.Warnings"/>).</summary>
    public IReadOnlyList<string> DataWarnings { get; init; } = [];
}

/// <summary>
/// Scores models on an <see cref="EvaluationSet"/> with <see cref="ImageClassificationPipeline"/> and
/// ML.NET's multiclass evaluator. Every unusable input (model, image, label) ends in an
/// <see cref="EvaluationException"/> naming the file.
/// </summary>
public sealed class ModelEvaluator(EvaluationOptions? options = null)
{
    private readonly EvaluationOptions _options = options ?? new EvaluationOptions();

    /// <summary>
    /// Scores every model. Every model is checked first (file, metadata, graph, classes): one unusable model stops the
    /// run before any is scored, with every unusable one named, so no good model's result is computed and then lost.
    /// </summary>
    /// <exception cref="EvaluationException">Some model cannot be evaluated; the message names each one.</exception>
    public EvaluationRun EvaluateAll(IReadOnlyList<ModelToEvaluate> models, EvaluationSet set, Action<ModelEvaluation>? onEvaluated = null)
    {
        var started = DateTimeOffset.UtcNow;
        var checkedModels = new List<InspectedModel>();
        var problems = new List<EvaluationException>();
        foreach (var model in models)
        {
            try
            {
                checkedModels.Add(Inspect(model, set));
            }
            catch (EvaluationException ex)
            {
                problems.Add(ex);
            }
        }
        if (problems.Count > 0)
            throw EvaluationException.ForMany(problems, $"of {models.Count} model(s) cannot be evaluated, so none was scored and nothing recorded");

        var results = new List<ModelEvaluation>();
        foreach (var model in checkedModels)
        {
            var result = Score(model, set);
            onEvaluated?.Invoke(result);
            results.Add(result);
        }
        return new EvaluationRun
        {
            RunId = Guid.NewGuid().ToString("N"),
            StartedUtc = started,
            SetName = set.Name,
            Examples = set.Examples.Count,
            ExamplesFingerprint = set.ExamplesFingerprint,
            DatasetFingerprint = set.DatasetFingerprint,
            ProjectVersion = _options.ProjectVersion,
            Models = results,
            DataWarnings = set.Warnings,
        };
    }

    public ModelEvaluation Evaluate(ModelToEvaluate model, EvaluationSet set) => Score(Inspect(model, set), set);

    /// <summary>Everything that can be checked about a model without scoring it: the file, its metadata and graph, the device, its classes.</summary>
    private InspectedModel Inspect(ModelToEvaluate model, EvaluationSet set)
    {
        if (set.Examples.Count == 0)
            throw new ArgumentException($"The evaluation set '{set.Name}' has no examples.", nameof(set));
        var device = ExecutionDevice.Select(_options.Device, _options.GpuDeviceId);
        var inspected = OnnxModelInspector.Inspect(model, device);
        if (_options.Device == ComputeDevice.Gpu && !inspected.Device.IsGpu)
        {
            throw new EvaluationException(inspected.Path,
                $"--device gpu, but the model would run on {inspected.Device.Description}. Run with --device auto or cpu to allow that.");
        }
        CheckClasses(inspected, set);
        ProbeMlNet(inspected, set);
        return inspected;
    }

    /// <summary>
    /// ML.NET parses the model itself (Google.Protobuf, stricter than ONNX Runtime: every string must be UTF-8), so a
    /// file ONNX Runtime opens can still fail in ML.NET. Loading it once here names such a file before any model is
    /// scored; the session is closed at once (one per model, not all held together).
    /// </summary>
    private void ProbeMlNet(InspectedModel inspected, EvaluationSet set)
    {
        try
        {
            var ml = new MLContext(seed: 0);
            var fitted = ImageClassificationPipeline.Create(ml, inspected, _options.Threading)
                .Fit(ImageClassificationPipeline.LoadExamples(ml, set.Examples.Take(1)));
            (fitted as IDisposable)?.Dispose();
        }
        catch (Exception ex) when (ex is not EvaluationException and not OutOfMemoryException)
        {
            throw new EvaluationException(inspected.Path,
                $"ML.NET cannot load the model ({ex.GetBaseException().Message.Split('\n')[0]}). The file is damaged: export it again.", ex);
        }
    }

    private ModelEvaluation Score(InspectedModel inspected, EvaluationSet set)
    {
        var wall = Stopwatch.StartNew();
        var ml = new MLContext(seed: 0);
        var examples = ImageClassificationPipeline.LoadExamples(ml, set.Examples);
        var pipeline = ImageClassificationPipeline.Create(ml, inspected, _options.Threading);
        var fitted = pipeline.Fit(examples);
        var scoring = Stopwatch.StartNew();
        ClassificationMetrics metrics;
        try
        {
            metrics = ClassificationMetrics.Evaluate(ml, fitted.Transform(examples), inspected.Metadata.Classes);
        }
        catch (Exception ex) when (ex is not EvaluationException)
        {
            throw Explain(ex, inspected, set);
        }
        finally
        {
            (fitted as IDisposable)?.Dispose(); // the ONNX Runtime session: native memory, one per model of a run
        }
        scoring.Stop();

        return new ModelEvaluation
        {
            ModelName = inspected.Name,
            ModelPath = inspected.Path,
            ModelSha256 = inspected.Sha256,
            Metadata = inspected.Metadata,
            MetadataFromFile = inspected.MetadataFromFile,
            Device = inspected.Device.Description,
            Preprocessing = Describe(inspected),
            Metrics = metrics,
            ImagesPerSecond = set.Examples.Count / scoring.Elapsed.TotalSeconds,
            ScoringSeconds = scoring.Elapsed.TotalSeconds,
            WallSeconds = wall.Elapsed.TotalSeconds,
            Agreement = AgreementCheck.Create(inspected.Metadata, metrics.Top1, set, _options.AgreementTolerancePp),
        };
    }

    private static string Describe(InspectedModel m) =>
        $"LoadImages → ResizeImages({m.Metadata.InputWidth}×{m.Metadata.InputHeight}, {m.Resizing}, centre) → " +
        $"ExtractPixels(planar RGB, 0-255) → ONNX (centre crop {m.Metadata.CropSize} and normalisation inside the graph)";

    /// <summary>The model's classes must be the dataset's, and every label one of them.</summary>
    private static void CheckClasses(InspectedModel model, EvaluationSet set)
    {
        if (model.Metadata.ClassListDifference(set.ClassIds, set.Name) is { } difference)
            throw new EvaluationException(model.Path, difference);
        var modelIds = model.Metadata.Classes.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        var stray = set.Examples.FirstOrDefault(e => !modelIds.Contains(e.ClassId));
        if (stray is not null)
        {
            int count = set.Examples.Count(e => !modelIds.Contains(e.ClassId));
            throw new EvaluationException(stray.ImagePath,
                $"label '{stray.ClassId}' is not in the class list of model {model.Path} ({count} image(s) have labels outside it). " +
                "Fix the dataset's labels, or leave those images out of the evaluation set.");
        }
    }

    /// <summary>ML.NET reports an undecodable image without its path: find the file and name it.</summary>
    private static Exception Explain(Exception ex, InspectedModel model, EvaluationSet set)
    {
        var inner = ex;
        while (inner.InnerException is not null && inner is not ArgumentException and not IOException)
            inner = inner.InnerException;
        if (inner is ArgumentException or IOException && FindUnreadableImage(set.Examples) is { } bad)
        {
            return new EvaluationException(bad.Path,
                $"the image cannot be read ({bad.Problem}), so model {model.Name} could not be scored. " +
                "Replace or remove the file (the dataset index's checks list such files) and run again; nothing was recorded.", ex);
        }
        return new EvaluationException(model.Path, $"scoring failed: {inner.GetType().Name}: {inner.Message}", ex);
    }

    /// <summary>The first file ML.NET's LoadImages cannot decode (it uses <c>SKBitmap.Decode(stream)</c>), with why.</summary>
    internal static (string Path, string Problem)? FindUnreadableImage(IEnumerable<LabeledExample> examples)
    {
        foreach (var e in examples)
        {
            if (!File.Exists(e.ImagePath))
                return (e.ImagePath, "the file does not exist");
            try
            {
                using var stream = File.OpenRead(e.ImagePath);
                long length = stream.Length;
                if (length == 0)
                    return (e.ImagePath, "the file is empty");
                using var bitmap = SKBitmap.Decode(stream); // what ML.NET's LoadImages calls; it may close the stream
                if (bitmap is null)
                    return (e.ImagePath, $"{length:N0} bytes that SkiaSharp cannot decode as an image");
            }
            catch (IOException io)
            {
                return (e.ImagePath, io.Message);
            }
            catch (UnauthorizedAccessException denied)
            {
                return (e.ImagePath, denied.Message);
            }
        }
        return null;
    }
}
