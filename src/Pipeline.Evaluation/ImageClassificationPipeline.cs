using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Onnx;
using Pipeline.Inference;

namespace Pipeline.Evaluation;

/// <summary>Threads ONNX Runtime may use per session (null: its default, one per core).</summary>
public sealed record OnnxThreading(int? IntraOpNumThreads = null, int? InterOpNumThreads = null);

/// <summary>
/// The ML.NET pipeline that scores an exported model on labelled image files:
/// <code>
/// ClassId ─MapValueToKey─▶ Label          (key i+1 ⇔ model output i: keys in the model's class order)
/// ImagePath ─LoadImages─▶ ResizeImages(W×H from metadata, IsoCrop) ─ExtractPixels(planar RGB, 0..255)─▶ pixels
/// pixels ─ApplyOnnxModel─▶ logits, probabilities
/// probabilities ─ScoreAndPredict─▶ Score (= probabilities), PredictedLabel (= argmax, as a key)
/// </code>
/// Everything size- and class-related comes from the model's <see cref="ModelMetadata"/>.
/// The output feeds <c>MulticlassClassification.Evaluate(Label, Score, PredictedLabel)</c>.
/// </summary>
public static class ImageClassificationPipeline
{
    public static class Columns
    {
        public const string ImagePath = nameof(ExampleRow.ImagePath);
        public const string ClassId = nameof(ExampleRow.ClassId);
        public const string Label = "Label";
        public const string Image = "Image";
        public const string Pixels = ModelMetadata.InputName;
        public const string Logits = ModelMetadata.LogitsName;
        public const string Probabilities = ModelMetadata.ProbabilitiesName;
        public const string Score = nameof(ScoreRow.Score);
        public const string PredictedLabel = nameof(ScoreRow.PredictedLabel);
    }

    /// <summary>The input rows: one per image.</summary>
    public sealed class ExampleRow
    {
        public string ImagePath { get; set; } = "";
        public string ClassId { get; set; } = "";
    }

    public static IDataView LoadExamples(MLContext ml, IEnumerable<LabeledExample> examples) =>
        ml.Data.LoadFromEnumerable(examples.Select(e => new ExampleRow { ImagePath = e.ImagePath, ClassId = e.ClassId }));

    public static IEstimator<ITransformer> Create(MLContext ml, InspectedModel model, OnnxThreading? threading = null)
    {
        var m = model.Metadata;
        return LabelsInModelOrder(ml, m.Classes)
            .Append(ml.Transforms.LoadImages(Columns.Image, imageFolder: null, inputColumnName: Columns.ImagePath))
            .Append(ml.Transforms.ResizeImages(Columns.Image, m.InputWidth, m.InputHeight, resizing: model.Resizing))
            .Append(ml.Transforms.ExtractPixels(Columns.Pixels, Columns.Image, interleavePixelColors: false)) // no scale, no offset: 0..255
            .Append(ml.Transforms.ApplyOnnxModel(new OnnxOptions
            {
                ModelFile = model.Path,
                InputColumns = [Columns.Pixels],
                OutputColumns = [Columns.Logits, Columns.Probabilities],
                // One image per row; fixing the shape also covers graphs exported with symbolic H and W.
                ShapeDictionary = new Dictionary<string, int[]> { [Columns.Pixels] = [1, 3, m.InputHeight, m.InputWidth] },
                GpuDeviceId = model.Device.GpuDeviceId,
                FallbackToCpu = true,
                IntraOpNumThreads = threading?.IntraOpNumThreads,
                InterOpNumThreads = threading?.InterOpNumThreads,
            }))
            .Append(ScoreAndPredict(ml, m.Classes.Count));
    }

    /// <summary><see cref="Columns.ClassId"/> → <see cref="Columns.Label"/>, a key whose value i+1 is the model's output i.</summary>
    public static IEstimator<ITransformer> LabelsInModelOrder(MLContext ml, IReadOnlyList<ModelClass> classes) =>
        ml.Transforms.Conversion.MapValueToKey(Columns.Label, Columns.ClassId,
            keyData: ml.Data.LoadFromEnumerable(classes.Select(c => new ClassIdRow { ClassId = c.Id })));

    private sealed class ClassIdRow
    {
        public string ClassId { get; set; } = "";
    }

    /// <summary>
    /// <see cref="Columns.Probabilities"/> → <see cref="Columns.Score"/> (a known-size vector, what the
    /// evaluator reads for log-loss and top-k) and <see cref="Columns.PredictedLabel"/> (the argmax as a key
    /// of the label's cardinality). Column types come from the class count, hence the schema definitions.
    /// </summary>
    public static IEstimator<ITransformer> ScoreAndPredict(MLContext ml, int classCount)
    {
        var output = SchemaDefinition.Create(typeof(ScoreRow));
        output[Columns.Score].ColumnType = new VectorDataViewType(NumberDataViewType.Single, classCount);
        output[Columns.PredictedLabel].ColumnType = new KeyDataViewType(typeof(uint), classCount);
        return ml.Transforms.CustomMapping<ProbabilitiesRow, ScoreRow>(ArgMax, contractName: null, outputSchemaDefinition: output);
    }

    public sealed class ProbabilitiesRow
    {
        [ColumnName(Columns.Probabilities)]
        public float[] Probabilities { get; set; } = [];
    }

    public sealed class ScoreRow
    {
        public float[] Score { get; set; } = [];
        public uint PredictedLabel { get; set; }
    }

    private static void ArgMax(ProbabilitiesRow input, ScoreRow output)
    {
        var p = input.Probabilities;
        int best = 0;
        for (int k = 1; k < p.Length; k++)
        {
            if (p[k] > p[best])
                best = k;
        }
        output.Score = p;
        output.PredictedLabel = (uint)best + 1; // keys are 1-based; 0 is "missing"
    }
}
