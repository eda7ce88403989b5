using Microsoft.Data.Sqlite;
using Pipeline.Evaluation;
using Pipeline.Evaluation.History;
using Pipeline.Evaluation.Tests.Fixtures;
using Pipeline.Inference;

namespace Pipeline.Reporting.Tests;

/// <summary>The scheduled <c>evaluate</c> run: evaluate, append history, report, exit code.</summary>
public sealed class EvaluationJobTests : IDisposable
{
    private readonly TestModels _models = new();
    private string History => Path.Combine(_models.Folder, "history", "evaluations.db");
    private string Reports => Path.Combine(_models.Folder, "reports");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _models.Dispose();
    }

    /// <summary>Ten colour classes, three images each: the nearest-colour model gets all of them right.</summary>
    private EvaluationSet ColourSet() => ColourImages.Set(Path.Combine(_models.Folder, "images"), perClass: 3);

    private EvaluationJobRequest Request(string modelsFolder, EvaluationSet set, bool failOnRegression = true) => new()
    {
        Models = ModelToEvaluate.Find(modelsFolder),
        Set = set,
        ReportDirectory = Reports,
        HistoryPath = History,
        RegressionThresholdPp = 1.0,
        FailOnRegression = failOnRegression,
        Options = new EvaluationOptions { Device = ComputeDevice.Cpu },
    };

    [Fact]
    public void A_model_that_gets_worse_under_the_same_name_is_a_regression_and_fails_the_run_when_asked()
    {
        var set = ColourSet();
        string folder = Directory.CreateDirectory(Path.Combine(_models.Folder, "models")).FullName;
        ColourImages.Model(folder, "candidate", Imagenette.Classes);

        var first = EvaluationJob.Run(Request(folder, set));
        Assert.Equal(0, first.ExitCode);
        Assert.Equal(1.0, first.Report.Run.Models[0].Metrics.Top1);

        // "Retrained" into a worse model under the same name.
        TinyOnnx.Write(Path.Combine(folder, "candidate.onnx"), 10, new float[30], Enumerable.Range(0, 10).Select(k => k == 4 ? 1f : 0f).ToArray(),
            TestModels.Metadata(Imagenette.Classes, input: 32).ToProperties(), [null, 3, 32, 32]);
        var second = EvaluationJob.Run(Request(folder, set));

        Assert.Equal(EvaluationJob.RegressionExitCode, second.ExitCode);
        var regression = Assert.Single(second.Regressions);
        Assert.Equal(-90.0, regression.Comparison!.Top1DeltaPp!.Value, 6);
        Assert.True(regression.Comparison.ModelChanged);
        Assert.Contains("REGRESSION", File.ReadAllText(second.Files.Markdown));
        Assert.Contains("regression(s)", File.ReadAllText(second.Files.Html));
        Assert.Equal(2, EvaluationHistory.Open(History).Records("candidate").Count);

        var reported = EvaluationJob.Run(Request(folder, set, failOnRegression: false));
        Assert.Equal(0, reported.ExitCode); // same model again: no drop, and the flag is off anyway
    }

    [Fact]
    public void A_bad_model_among_good_ones_stops_the_run_before_anything_is_recorded()
    {
        var set = ColourSet();
        string folder = Directory.CreateDirectory(Path.Combine(_models.Folder, "models")).FullName;
        ColourImages.Model(folder, "a-good", Imagenette.Classes);
        File.WriteAllText(Path.Combine(folder, "b-bad.onnx"), "not a model");

        var ex = Assert.Throws<EvaluationException>(() => EvaluationJob.Run(Request(folder, set)));

        Assert.EndsWith("b-bad.onnx", ex.FilePath);
        Assert.Empty(EvaluationHistory.Open(History).Records());
        Assert.False(File.Exists(Path.Combine(Reports, "report.html")));
    }

    [Fact]
    public void The_repository_evaluation_plan_loads_and_names_its_outputs()
    {
        string plan = FindRepositoryFile("pipelines/evaluation.json");

        var p = EvaluationPlan.Load(plan);

        Assert.NotEmpty(p.Models);
        Assert.Equal("val", p.Split);
        Assert.True(p.FailOnRegression);
        Assert.EndsWith(".db", p.History);
    }

    [Fact]
    public void A_plan_with_an_unknown_setting_is_named()
    {
        string path = Path.Combine(_models.Folder, "plan.json");
        File.WriteAllText(path, """{ "models": ["models"], "regresionThreshold": 2 }""");

        var ex = Assert.Throws<EvaluationException>(() => EvaluationPlan.Load(path));

        Assert.Equal(path, ex.FilePath);
        Assert.Contains("regresionThreshold", ex.Message);
    }

    private static string FindRepositoryFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate))
                return candidate;
        }
        throw new FileNotFoundException(relative);
    }
}
