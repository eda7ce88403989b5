using Microsoft.ML;
using Microsoft.ML.Data;
using Pipeline.Inference;

namespace Pipeline.Evaluation;

/// <summary>Precision and recall of one class (NaN when undefined: never predicted / no examples).</summary>
public sealed record ClassMetrics(string Id, string Name, double Precision, double Recall, long Support, double LogLoss);

/// <summary>
/// What ML.NET's <c>MulticlassClassification.Evaluate</c> says about one scored data set, in the
/// model's class order. Accuracies are fractions (0..1).
/// </summary>
/// <summary>Images of class <paramref name="True"/> predicted as <paramref name="Predicted"/>: how many, and their share of the true class.</summary>
public sealed record Confusion(ClassMetrics True, ClassMetrics Predicted, long Images, double ShareOfTrue);

public sealed record ClassificationMetrics
{
    public required long Count { get; init; }
    /// <summary>Micro accuracy: correct / all.</summary>
    public required double Top1 { get; init; }
    /// <summary>Mean of the per-class recalls.</summary>
    public required double MacroAccuracy { get; init; }
    /// <summary>Top-<see cref="TopK"/> accuracy (K = 5 unless the model has fewer classes), from the probabilities (Score) column.</summary>
    public required double Top5 { get; init; }
    public required int TopK { get; init; }
    public required double LogLoss { get; init; }
    public required double LogLossReduction { get; init; }
    public required IReadOnlyList<ClassMetrics> PerClass { get; init; }
    /// <summary>Counts: row = true class, column = predicted class, both in the model's class order.</summary>
    public required IReadOnlyList<IReadOnlyList<long>> ConfusionMatrix { get; init; }

    /// <summary>
    /// The <paramref name="count"/> largest off-diagonal cells of the confusion matrix, most images first: which class is
    /// taken for which, the summary that stays readable when a matrix of 100 classes is not.
    /// </summary>
    public IReadOnlyList<Confusion> TopConfusions(int count) =>
        ConfusionMatrix.SelectMany((row, t) => row.Select((n, p) => (t, p, n)))
            .Where(c => c.t != c.p && c.n > 0)
            .OrderByDescending(c => c.n).ThenBy(c => c.t).ThenBy(c => c.p)
            .Take(count)
            .Select(c => new Confusion(PerClass[c.t], PerClass[c.p], c.n, c.n / (double)Math.Max(1, ConfusionMatrix[c.t].Sum())))
            .ToArray();

    /// <summary>
    /// Evaluates a scored view with <see cref="ImageClassificationPipeline.Columns.Label"/>,
    /// <see cref="ImageClassificationPipeline.Columns.Score"/> and
    /// <see cref="ImageClassificationPipeline.Columns.PredictedLabel"/> (what the pipeline produces).
    /// </summary>
    public static ClassificationMetrics Evaluate(MLContext ml, IDataView scored, IReadOnlyList<ModelClass> classes, int topK = 5)
    {
        topK = Math.Min(topK, classes.Count);
        var m = ml.MulticlassClassification.Evaluate(scored,
            labelColumnName: ImageClassificationPipeline.Columns.Label,
            scoreColumnName: ImageClassificationPipeline.Columns.Score,
            predictedLabelColumnName: ImageClassificationPipeline.Columns.PredictedLabel,
            topKPredictionCount: topK);
        return From(m, classes, topK);
    }

    public static ClassificationMetrics From(MulticlassClassificationMetrics m, IReadOnlyList<ModelClass> classes, int topK)
    {
        var cm = m.ConfusionMatrix;
        int n = classes.Count;
        // ML.NET sizes the matrix by the classes it saw; pad to the model's class count.
        var counts = new long[n][];
        for (int t = 0; t < n; t++)
        {
            counts[t] = new long[n];
            for (int p = 0; p < n; p++)
                counts[t][p] = t < cm.Counts.Count && p < cm.Counts[t].Count ? (long)Math.Round(cm.Counts[t][p]) : 0;
        }
        var perClass = new ClassMetrics[n];
        for (int k = 0; k < n; k++)
        {
            long support = counts[k].Sum();
            long predicted = counts.Sum(row => row[k]);
            perClass[k] = new ClassMetrics(
                classes[k].Id,
                classes[k].Name,
                Precision: predicted == 0 ? double.NaN : k < cm.PerClassPrecision.Count ? cm.PerClassPrecision[k] : double.NaN,
                Recall: support == 0 ? double.NaN : k < cm.PerClassRecall.Count ? cm.PerClassRecall[k] : double.NaN,
                Support: support,
                LogLoss: support == 0 ? double.NaN : k < m.PerClassLogLoss.Count ? m.PerClassLogLoss[k] : double.NaN);
        }
        return new ClassificationMetrics
        {
            Count = counts.Sum(r => r.Sum()),
            Top1 = m.MicroAccuracy,
            MacroAccuracy = m.MacroAccuracy,
            Top5 = m.TopKAccuracy,
            TopK = topK,
            LogLoss = m.LogLoss,
            LogLossReduction = m.LogLossReduction,
            PerClass = perClass,
            ConfusionMatrix = counts,
        };
    }
}
