using Microsoft.ML;
using Microsoft.ML.Data;
using Pipeline.Experiments;
using Pipeline.Inference;
using static Pipeline.Evaluation.ImageClassificationPipeline;

namespace Pipeline.Evaluation.Tests;

/// <summary>The metric code against numbers worked out by hand.</summary>
public class MetricsTests
{
    // Model class order deliberately not alphabetical: key i must be output i.
    private static readonly ModelClass[] Classes = [new("n3", "three"), new("n1", "one"), new("n2", "two")];

    private sealed class Row
    {
        public string ClassId { get; set; } = "";
        [VectorType(3)]
        [ColumnName(Columns.Probabilities)]
        public float[] Probabilities { get; set; } = [];
    }

    //  #  true  probabilities (n3, n1, n2)   predicted  rank of truth
    //  1  n3    0.7 0.2 0.1                   n3         1
    //  2  n3    0.2 0.5 0.3                   n1         3
    //  3  n1    0.1 0.8 0.1                   n1         1
    //  4  n1    0.3 0.4 0.3                   n1         1
    //  5  n2    0.5 0.1 0.4                   n3         2
    //  6  n3    0.6 0.3 0.1                   n3         1
    private static readonly Row[] Rows =
    [
        new() { ClassId = "n3", Probabilities = [0.7f, 0.2f, 0.1f] },
        new() { ClassId = "n3", Probabilities = [0.2f, 0.5f, 0.3f] },
        new() { ClassId = "n1", Probabilities = [0.1f, 0.8f, 0.1f] },
        new() { ClassId = "n1", Probabilities = [0.3f, 0.4f, 0.3f] },
        new() { ClassId = "n2", Probabilities = [0.5f, 0.1f, 0.4f] },
        new() { ClassId = "n3", Probabilities = [0.6f, 0.3f, 0.1f] },
    ];

    private static ClassificationMetrics Metrics(int topK)
    {
        var ml = new MLContext(seed: 0);
        var data = ml.Data.LoadFromEnumerable(Rows);
        var scored = LabelsInModelOrder(ml, Classes).Append(ScoreAndPredict(ml, Classes.Length)).Fit(data).Transform(data);
        return ClassificationMetrics.Evaluate(ml, scored, Classes, topK);
    }

    [Fact]
    public void Confusion_matrix_counts_true_class_rows_against_predicted_columns_in_model_order()
    {
        var m = Metrics(topK: 2);
        long[][] expected = [[2, 1, 0], [0, 2, 0], [1, 0, 0]];
        Assert.Equal(expected, m.ConfusionMatrix.Select(r => r.ToArray()).ToArray());
        Assert.Equal(6, m.Count);
        Assert.Equal([3L, 2L, 1L], m.PerClass.Select(c => c.Support));
    }

    [Fact]
    public void Accuracies_match_the_hand_computed_values()
    {
        var m = Metrics(topK: 2);
        Assert.Equal(4.0 / 6, m.Top1, 6);
        Assert.Equal((2.0 / 3 + 1 + 0) / 3, m.MacroAccuracy, 6);
        Assert.Equal(2, m.TopK);
        Assert.Equal(5.0 / 6, m.Top5, 6); // only #2 has its truth outside the top 2
    }

    [Fact]
    public void Top_k_is_capped_at_the_class_count()
    {
        var m = Metrics(topK: 5);
        Assert.Equal(3, m.TopK);
        Assert.Equal(1.0, m.Top5, 6);
    }

    [Fact]
    public void Per_class_precision_and_recall_match_the_hand_computed_values()
    {
        var m = Metrics(topK: 2);
        Assert.Equal(["n3", "n1", "n2"], m.PerClass.Select(c => c.Id));
        Assert.Equal(2.0 / 3, m.PerClass[0].Precision, 6); // predicted n3: #1 #5 #6, right: #1 #6
        Assert.Equal(2.0 / 3, m.PerClass[1].Precision, 6); // predicted n1: #2 #3 #4, right: #3 #4
        Assert.True(double.IsNaN(m.PerClass[2].Precision), "n2 is never predicted: its precision is undefined (NaN)");
        Assert.Equal(2.0 / 3, m.PerClass[0].Recall, 6);
        Assert.Equal(1.0, m.PerClass[1].Recall, 6);
        Assert.Equal(0.0, m.PerClass[2].Recall, 6);
    }

    [Fact]
    public void Log_loss_and_its_reduction_against_the_class_prior_match_the_hand_computed_values()
    {
        var m = Metrics(topK: 2);
        double[] pTrue = [0.7, 0.2, 0.8, 0.4, 0.4, 0.6];
        double logLoss = -pTrue.Average(p => Math.Log((float)p));
        double priorLogLoss = -(3 * Math.Log(3.0 / 6) + 2 * Math.Log(2.0 / 6) + Math.Log(1.0 / 6)) / 6;
        Assert.Equal(logLoss, m.LogLoss, 5);
        Assert.Equal(1 - logLoss / priorLogLoss, m.LogLossReduction, 5);
        Assert.Equal(-(Math.Log(0.7f) + Math.Log(0.2f) + Math.Log(0.6f)) / 3, m.PerClass[0].LogLoss, 5);
        Assert.Equal(-(Math.Log(0.8f) + Math.Log(0.4f)) / 2, m.PerClass[1].LogLoss, 5);
        Assert.Equal(-Math.Log(0.4f), m.PerClass[2].LogLoss, 5);
    }
}
