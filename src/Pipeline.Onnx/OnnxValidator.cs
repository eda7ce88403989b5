using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Pipeline.Data;
using Pipeline.Inference;
using ModelMetadata = Pipeline.Inference.ModelMetadata;

namespace Pipeline.Onnx;

public sealed record OnnxValidationResult(string Model, int Images, double Top1, double Top5, double ImagesPerSecond, double WallSeconds);

/// <summary>
/// Runs an exported model with ONNX Runtime directly, in batches, over labelled images and counts
/// top-1/top-5 (timm's <c>onnx_validate.py</c>). Preprocessing is what the model's metadata asks for and
/// what ML.NET's ResizeImages(IsoCrop) gives: the decoded cache at the input size, centre-cropped square.
/// </summary>
public static class OnnxValidator
{
    /// <param name="classIds">The dataset's class ids in label order (<c>ImageFolderDataset.Classes</c>): the model must have these classes.</param>
    /// <param name="datasetName">The dataset as errors name it.</param>
    public static OnnxValidationResult Validate(string modelPath, IReadOnlyList<LabeledImage> images, IReadOnlyList<string> classIds, string datasetName, string datasetFingerprint,
        int batchSize = 64, IProgress<(int Done, int Total)>? progress = null, CancellationToken cancellation = default)
    {
        var (session, _) = OnnxModelFile.Open(modelPath, ExecutionDevice.Cpu(), o =>
        {
            o.GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL;
            o.IntraOpNumThreads = Environment.ProcessorCount;
        });
        using var _ = session;
        var metadata = OnnxModelFile.ReadChecked(session, modelPath); // the check the ML.NET evaluation makes: metadata against the graph
        if (metadata.InputWidth != metadata.InputHeight)
            throw new InvalidDataException($"{modelPath}: non-square input {metadata.InputWidth}x{metadata.InputHeight} is not supported by validate.");
        if (metadata.ClassListDifference(classIds, datasetName) is { } difference)
            throw new InvalidDataException($"{modelPath}: {difference}");
        var outputIds = metadata.Classes.Select(c => c.Id).ToArray();
        var labelToOutput = classIds.Select(id => Array.IndexOf(outputIds, id)).ToArray();

        int size = metadata.InputWidth;
        using var runOptions = new RunOptions();
        long top1 = 0, top5 = 0, done = 0;
        var clock = Stopwatch.StartNew();
        foreach (var (input, batch) in GraphInputs.Batches(images, size, datasetFingerprint, batchSize, cancellation))
        {
            using var feed = OrtValue.CreateTensorValueFromMemory(input, [batch.Count, 3, size, size]);
            using var outputs = session.Run(runOptions, [ModelMetadata.InputName], [feed], [ModelMetadata.LogitsName]);
            var logits = outputs[0].GetTensorDataAsSpan<float>();
            int classes = outputIds.Length;
            for (int i = 0; i < batch.Count; i++)
            {
                int expected = labelToOutput[batch.Labels[i]];
                var row = logits.Slice(i * classes, classes);
                float target = row[expected];
                int above = 0; // classes scored strictly higher than the true one (ties count for the truth, as argmax picks the first)
                for (int c = 0; c < classes; c++)
                    if (row[c] > target || (row[c] == target && c < expected)) above++;
                top1 += above == 0 ? 1 : 0;
                top5 += above < 5 ? 1 : 0;
            }
            done += batch.Count;
            progress?.Report(((int)done, images.Count));
        }
        double seconds = clock.Elapsed.TotalSeconds;
        return new OnnxValidationResult(modelPath, (int)done, (double)top1 / done, (double)top5 / done, done / seconds, seconds);
    }
}
