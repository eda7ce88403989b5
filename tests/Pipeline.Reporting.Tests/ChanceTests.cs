using Pipeline.Evaluation;
using Pipeline.Evaluation.Tests.Fixtures;
using Pipeline.Inference;

namespace Pipeline.Reporting.Tests;

/// <summary>A model that learned nothing is never reported as a success.</summary>
public sealed class ChanceTests : IDisposable
{
    private readonly TestModels _models = new();

    public void Dispose() => _models.Dispose();

    [Theory]
    [InlineData(0.1, 3925, false)]    // guessing
    [InlineData(0.109, 3925, false)]  // within two standard errors of 10 % on 3,925 images (threshold 10.96 %)
    [InlineData(0.12, 3925, true)]
    [InlineData(0.175, 40, false)]    // 40 images: threshold 19.5 %
    [InlineData(0.6, 40, true)]
    public void Top1_must_be_two_standard_errors_above_guessing(double top1, long examples, bool above)
    {
        var metrics = new ClassificationMetrics
        {
            Count = examples,
            Top1 = top1,
            MacroAccuracy = top1,
            Top5 = 0.5,
            TopK = 5,
            LogLoss = 2.3,
            LogLossReduction = 0,
            PerClass = Imagenette.Classes.Select(c => new ClassMetrics(c.Id, c.Name, 0.1, 0.1, examples / 10, 2.3)).ToArray(),
            ConfusionMatrix = [],
        };
        var check = ChanceCheck.Of(metrics);
        Assert.Equal(0.1, check.Chance);
        Assert.Equal(above, check.AboveChance);
        Assert.Equal(above, check.Warning("m").Length == 0);
    }

    [Fact]
    public void A_model_that_predicts_one_class_is_flagged_on_the_console_and_in_every_report_format()
    {
        // Zero weights and one large bias: class 0 for every image, which a balanced slice scores at exactly 10 %.
        var classes = Imagenette.Classes;
        var bias = new float[classes.Count];
        bias[0] = 10;
        string path = Path.Combine(_models.Folder, "one-class.onnx");
        TinyOnnx.Write(path, classes.Count, new float[3 * classes.Count], bias, TestModels.Metadata(classes, valTop1: 0.1).ToProperties(), [null, 3, 72, 72]);
        using var log = new StringWriter();

        var outcome = EvaluationJob.Run(new EvaluationJobRequest
        {
            Models = [new ModelToEvaluate(path)],
            Set = Imagenette.ValSlice(perClass: 2),
            ReportDirectory = Path.Combine(_models.Folder, "report"),
            Options = new EvaluationOptions { Device = ComputeDevice.Cpu },
        }, log);

        var model = Assert.Single(outcome.Report.AtChance);
        Assert.Equal(0.1, model.Evaluation.Metrics.Top1);
        Assert.Contains("WARNING one-class: top-1 10.00 % is not clearly above chance", log.ToString());
        string md = File.ReadAllText(outcome.Files.Markdown), html = File.ReadAllText(outcome.Files.Html);
        Assert.Contains("## Warnings", md);
        Assert.Contains("10.00 ⚠ chance", md);
        Assert.Contains("model(s) at chance level", html);
        // The trainer also measured 10 %: the two agree, which the report states as a fact, under the warning, never as a success.
        Assert.Contains("vs trainer 10.00 % (0.00 pp). Agrees within 1 pp.", html);
        Assert.True(html.IndexOf("<h2>Warnings</h2>", StringComparison.Ordinal) < html.IndexOf("Agrees within", StringComparison.Ordinal), "the warning comes first");
        Assert.Contains("<td class=\"flag\">10.00 ⚠ chance</td>", html);
    }
}
