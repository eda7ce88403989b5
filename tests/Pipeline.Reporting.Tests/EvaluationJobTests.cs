using Microsoft.Data.Sqlite;
using Pipeline.Evaluation;
using Pipeline.Evaluation.History;
using Pipeline.Evaluation.Tests.Fixtures;
using Pipeline.Inference;
using Pipeline.Testing;

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

        // The same bad model on the next night: still red, against the best record, not green against the regressed one.
        var again = EvaluationJob.Run(Request(folder, set));
        Assert.Equal(EvaluationJob.RegressionExitCode, again.ExitCode);
        Assert.Equal(ModelComparison.BestBaseline, Assert.Single(again.Regressions).Comparison!.BaselineKind);
        Assert.Contains("against its best record of", File.ReadAllText(again.Files.Markdown));

        // Accepted on purpose: pinned, the next run is green.
        EvaluationHistory.Open(History).Pin("candidate");
        Assert.Equal(0, EvaluationJob.Run(Request(folder, set)).ExitCode);
        var reported = EvaluationJob.Run(Request(folder, set, failOnRegression: false));
        Assert.Equal(0, reported.ExitCode);
    }

    [Fact]
    public void A_bad_model_among_good_ones_stops_the_run_before_anything_is_recorded()
    {
        var set = ColourSet();
        string folder = Directory.CreateDirectory(Path.Combine(_models.Folder, "models")).FullName;
        ColourImages.Model(folder, "a-good", Imagenette.Classes);
        File.WriteAllText(Path.Combine(folder, "b-bad.onnx"), "not a model");

        using var log = new StringWriter();

        var ex = Assert.Throws<EvaluationException>(() => EvaluationJob.Run(Request(folder, set), log));

        Assert.EndsWith("b-bad.onnx", ex.FilePath);
        Assert.DoesNotContain("a-good: top-1", log.ToString()); // checked before scoring: no good model's result is lost
        Assert.False(Directory.Exists(Path.GetDirectoryName(History))); // the history this run would have started: no file, no folder
        Assert.False(File.Exists(Path.Combine(Reports, "report.html")));

        // A history that holds records keeps them, and gets none from the stopped run.
        File.Delete(Path.Combine(folder, "b-bad.onnx"));
        EvaluationJob.Run(Request(folder, set));
        File.WriteAllText(Path.Combine(folder, "b-bad.onnx"), "not a model");
        Assert.Throws<EvaluationException>(() => EvaluationJob.Run(Request(folder, set)));
        Assert.Single(EvaluationHistory.Open(History).Records());
    }

    [Theory]
    [InlineData("history-is-a-folder")]
    [InlineData("history-is-not-sqlite")]
    [InlineData("report-folder-below-a-file")]
    public void An_unusable_history_or_report_folder_stops_the_run_before_any_model_is_scored(string kind)
    {
        var set = ColourSet();
        string folder = Directory.CreateDirectory(Path.Combine(_models.Folder, "models")).FullName;
        ColourImages.Model(folder, "candidate", Imagenette.Classes);
        var request = Request(folder, set);
        Directory.CreateDirectory(Path.GetDirectoryName(History)!);
        string named = kind switch
        {
            "history-is-a-folder" => Directory.CreateDirectory(History).FullName,
            "history-is-not-sqlite" => WriteText(History, "not a database"),
            _ => Path.Combine(WriteText(Path.Combine(_models.Folder, "a-file"), "x"), "reports"),
        };
        if (kind == "report-folder-below-a-file")
            request = request with { ReportDirectory = named };
        using var log = new StringWriter();

        var ex = Assert.Throws<EvaluationException>(() => EvaluationJob.Run(request, log));

        Assert.Equal(named, ex.FilePath);
        Assert.Contains("Nothing was scored", ex.Message);
        Assert.DoesNotContain("top-1", log.ToString());
    }

    private static string WriteText(string path, string text)
    {
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void The_dataset_warnings_are_recorded_in_the_report_and_read_back()
    {
        string folder = Directory.CreateDirectory(Path.Combine(_models.Folder, "models")).FullName;
        ColourImages.Model(folder, "candidate", Imagenette.Classes);
        string[] warnings = ["val/n03445777/: no images of class 8 (golf ball) in val. Restore the folder from the archive if this copy should be complete."];
        var request = Request(folder, ColourSet() with { Warnings = warnings });

        var outcome = EvaluationJob.Run(request);

        Assert.Equal(warnings, outcome.Report.Run.DataWarnings);
        Assert.Contains("- Data: " + warnings[0], File.ReadAllText(outcome.Files.Markdown));
        Assert.Contains("1 data warning(s)", File.ReadAllText(outcome.Files.Html));
        Assert.Equal(warnings, ReportReader.Load(outcome.Files.Json).Run.DataWarnings);
    }

    [Fact]
    public void The_repository_evaluation_plan_loads_and_names_its_outputs()
    {
        string plan = TestRepository.PathOf("pipelines/evaluation.json");

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
}
