using System.CommandLine;
using Pipeline.Data;
using Pipeline.Evaluation;
using Pipeline.Experiments;
using Pipeline.Inference;
using Pipeline.Reporting;
using Spectre.Console;

namespace Pipeline.Cli;

public static class EvaluateCommand
{
    public static Command Create()
    {
        var plan = new Option<FileInfo?>("--plan") { Description = "An evaluation plan (pipelines/evaluation.json). Options below override its values." };
        var models = new Option<string[]>("--models")
        {
            Description = $"ONNX files or folders of them, sub-folders included (default: ${EvaluationPlan.ModelsVariable}, else the plan's, else models/).",
            AllowMultipleArgumentsPerToken = true,
        };
        var data = new DataOptions();
        var split = DatasetOptions.Split();
        var perClass = new Option<int?>("--per-class") { Description = "Only the first N images of each class (0: all)." }.Within(0, 100_000);
        var device = new Option<ComputeDevice?>("--device") { Description = "auto (CUDA if it loads, else CPU), cpu or gpu." };
        var history = new Option<string?>("--history") { Description = "SQLite history to append to ('' for none)." };
        var reportDir = new Option<string?>("--report-dir") { Description = "Where report.json/.md/.html go." };
        var runs = new Option<string?>("--runs") { Description = "Folder of training runs, for learning curves and the agreement check." };
        var failOnRegression = new Option<bool?>("--fail-on-regression") { Description = "Exit with code 3 when a model's top-1 dropped beyond the threshold." };
        var threshold = new Option<double?>("--threshold-pp") { Description = "Regression threshold in percentage points (default 1)." }.Within(0, 100);

        var command = new Command("evaluate", "Evaluate exported models with the ML.NET pipeline; write JSON/Markdown/HTML reports and append to the history.")
        {
            plan, models, split, perClass, device, history, reportDir, runs, failOnRegression, threshold,
        };
        foreach (var option in data.All)
            command.Options.Add(option);
        command.SetAction((parse, cancellation) =>
        {
            var p = parse.GetValue(plan) is { } file ? EvaluationPlan.Load(file.FullName) : new EvaluationPlan { Models = ["models"] };
            p = p.With(new EvaluationOverrides
            {
                Models = parse.GetValue(models),
                ValFraction = parse.GetValue(data.ValFraction),
                SplitSeed = data.SplitSeedGiven(parse) ? parse.GetValue(data.SplitSeed) : null,
                Split = parse.GetResult(split) is { Implicit: false } ? parse.GetValue(split) : null, // its default must not hide the plan's
                PerClassLimit = parse.GetValue(perClass),
                Device = parse.GetValue(device),
                History = parse.GetValue(history),
                ReportDirectory = parse.GetValue(reportDir),
                RunsRoot = parse.GetValue(runs),
                FailOnRegression = parse.GetValue(failOnRegression),
                RegressionThresholdPp = parse.GetValue(threshold),
            }, Environment.GetEnvironmentVariable(EvaluationPlan.ModelsVariable));
            // --data wins; then the plan's folder if it exists; then the default ($PIPELINE_DATA, else the embedded Imagenette).
            string? folder = data.Folder(parse) ?? (Directory.Exists(p.Dataset) ? p.Dataset : null);
            var dataset = ImageFolderDataset.OpenOrDefault(folder, split: DatasetSplit.Of(p.ValFraction, p.SplitSeed));
            DatasetOptions.ShowWarnings(dataset);
            var images = DatasetOptions.SplitOf(dataset, p.Split, p.PerClassLimit > 0 ? p.PerClassLimit : null);
            DatasetOptions.CheckDecodable(images, cancellation); // ML.NET's decoder would score a damaged JPEG's grey-filled remains
            var set = DatasetOptions.EvaluationSetOf(dataset, images, p.Split);

            var outcome = EvaluationJob.Run(p.ToRequest(set), Console.Out);
            AnsiConsole.MarkupLineInterpolated($"[green]report[/]: {DisplayPath.Of(Path.GetFullPath(outcome.Files.Html))}");
            return Task.FromResult(outcome.ExitCode);
        });
        return command;
    }
}
