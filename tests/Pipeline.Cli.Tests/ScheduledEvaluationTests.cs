using Pipeline.Evaluation;
using Pipeline.Evaluation.History;
using Pipeline.Evaluation.Tests.Fixtures;

namespace Pipeline.Cli.Tests;

/// <summary>
/// The scheduled evaluation as the schedulers under deploy/scheduled run it: models found in sub-folders of a folder
/// outside the checkout, a regression reaching the scheduler as exit 3, the history viewable and exportable, and the
/// systemd units and GitHub workflow checked as far as this machine can.
/// </summary>
public sealed class ScheduledEvaluationTests : IDisposable
{
    private readonly TestModels _models = new();

    public void Dispose() => _models.Dispose();

    private static string Scheduled(string file) => Path.Combine(PipelineProcess.Repository, "deploy", "scheduled", file);

    /// <summary>A model that answers class 0 for every image: 10 % on a balanced slice.</summary>
    private string OneClassModel(string relativePath)
    {
        string path = Path.Combine(_models.Folder, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var bias = new float[Imagenette.Classes.Count];
        bias[0] = 10;
        TinyOnnx.Write(path, Imagenette.Classes.Count, new float[3 * Imagenette.Classes.Count], bias, TestModels.Metadata(Imagenette.Classes).ToProperties(), [null, 3, 72, 72]);
        return path;
    }

    [Fact]
    public void Models_in_sub_folders_are_found_a_regression_exits_3_and_the_history_shows_it()
    {
        string model = OneClassModel(Path.Combine("models", "quick", "quick-timm-zi1-fastai-s42.onnx"));
        string history = Path.Combine(_models.Folder, "history.db");
        // The model's earlier, better record: tonight's 10 % is a drop of 80 pp.
        var earlier = EvaluationHistory.Open(history);
        earlier.Append([new HistoryRecord
        {
            RunId = "earlier", TimestampUtc = DateTimeOffset.UtcNow.AddDays(-1), ModelName = "quick-timm-zi1-fastai-s42", ModelPath = model, ModelSha256 = "old",
            DatasetFingerprint = "d", ExamplesFingerprint = Imagenette.ValSlice(perClass: 2).ExamplesFingerprint, Examples = 20, Device = "CPU", ProjectVersion = "earlier",
            Top1 = 0.9, Top5 = 1, MacroAccuracy = 0.9, LogLoss = 0.3, LogLossReduction = 0.8, ImagesPerSecond = 100, WallSeconds = 1,
        }], regressionThresholdPp: 1);

        // The models folder comes from the environment, as the systemd unit sets it (PIPELINE_MODELS).
        using var process = PipelineProcess.Start(_models.Folder, new Dictionary<string, string> { [Pipeline.Reporting.EvaluationPlan.ModelsVariable] = Path.Combine(_models.Folder, "models") },
            "evaluate", "--plan", Path.Combine(PipelineProcess.Repository, "pipelines", "evaluation.json"), "--per-class", "2", "--history", history, "--report-dir", "report", "--device", "cpu");
        var (exitCode, output) = process.Wait(TimeSpan.FromMinutes(5));

        Assert.True(exitCode == 3, output);
        Assert.Contains("REGRESSION quick-timm-zi1-fastai-s42", output);
        string md = File.ReadAllText(Path.Combine(_models.Folder, "report", "report.md"));
        Assert.Contains("## History", md);
        Assert.Contains("| quick-timm-zi1-fastai-s42 | 2 | 90.00 | 10.00 | −80.00 | 90.00 | 80.00 |", md);

        var (exit, shown) = PipelineProcess.Run(_models.Folder, "history", "--history", history, "--csv", "history.csv");
        Assert.True(exit == 0, shown);
        Assert.Contains("2 record(s); top-1 90.00 → 10.00 % (−80.00 pp), best 90.00 %, latest 80.00 pp below it", shown);
        var csv = File.ReadAllLines(Path.Combine(_models.Folder, "history.csv"));
        Assert.Equal(3, csv.Length);
        Assert.StartsWith("timestamp_utc,model,top1,", csv[0]);
        Assert.Contains(",quick-timm-zi1-fastai-s42,0.9,", csv[1]);
        Assert.Contains(",quick-timm-zi1-fastai-s42,0.1,", csv[2]);
    }

    [Fact]
    public void Two_models_of_one_name_in_different_folders_are_refused_by_name()
    {
        OneClassModel(Path.Combine("models", "a", "m.onnx"));
        OneClassModel(Path.Combine("models", "b", "m.onnx"));
        var e = Assert.Throws<EvaluationException>(() => ModelToEvaluate.Find(Path.Combine(_models.Folder, "models")));
        Assert.Contains("two models are named m", e.Message);
    }

    [Fact]
    public void The_systemd_units_pass_systemd_analyze_and_a_broken_one_does_not()
    {
        // systemd-analyze ships with systemd, on every machine of this project (and .ci/run installs it where missing).
        var (exit, output) = ExternalCommand.Run("systemd-analyze", ["verify", Scheduled("pipeline-evaluation.service"), Scheduled("pipeline-evaluation.timer")]);
        Assert.True(exit == 0 && output.Trim().Length == 0, output);

        // The check bites: the same unit with a relative ExecStart is rejected.
        string broken = Path.Combine(_models.Folder, "pipeline-evaluation.service");
        File.WriteAllText(broken, File.ReadAllText(Scheduled("pipeline-evaluation.service")).Replace("ExecStart=/usr/bin/dotnet", "ExecStart=dotnet-nowhere", StringComparison.Ordinal));
        (exit, output) = ExternalCommand.Run("systemd-analyze", ["verify", broken]);
        Assert.True(exit != 0 || output.Contains("ExecStart", StringComparison.Ordinal), output);
    }

    [Fact]
    public void The_scheduled_commands_parse_with_the_tools_own_parser_and_use_the_cake_target()
    {
        string service = File.ReadAllText(Scheduled("pipeline-evaluation.service"));
        string exec = service.Split('\n').Single(l => l.StartsWith("ExecStart=", StringComparison.Ordinal));
        var args = exec.Split(' ', StringSplitOptions.RemoveEmptyEntries).SkipWhile(a => !a.EndsWith("pipeline.dll", StringComparison.Ordinal)).Skip(1).ToArray();
        Assert.Equal("evaluate", args[0]);
        Assert.Empty(CliRoot.Create().Parse(args).Errors);

        foreach (string file in new[] { "github-workflow.yml", "crontab" })
            Assert.Contains("dotnet cake --target=ScheduledEvaluation", File.ReadAllText(Scheduled(file)));
        string cron = File.ReadAllLines(Scheduled("crontab")).Single(l => l.Length > 0 && !l.StartsWith('#'));
        Assert.Equal(5, cron.Split(' ').TakeWhile(f => !f.StartsWith("cd", StringComparison.Ordinal)).Count()); // five time fields
    }
}
