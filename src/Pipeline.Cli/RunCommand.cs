using System.CommandLine;
using Pipeline.Experiments;
using Pipeline.Inference;
using Spectre.Console;

namespace Pipeline.Cli;

public static class RunCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("pipeline") { Description = "A pipeline file (pipelines/smoke.json, pipelines/reference.json, …)." };
        var runs = TrainCommand.RunsOption();
        var models = new Option<DirectoryInfo>("--models") { Description = "Where exported models go (a sub-folder per pipeline).", DefaultValueFactory = _ => new DirectoryInfo("models") };
        var data = DatasetOptions.Data();
        var device = new Option<ComputeDevice>("--device") { Description = "Evaluation device: auto, cpu or gpu.", DefaultValueFactory = _ => ComputeDevice.Auto };
        var command = new Command("run", "Run a whole experiment: train every run not finished yet (interrupted ones resume), export, evaluate with ML.NET, write the report.")
        {
            file, runs, models, data, device,
        };
        command.SetAction((parse, cancellation) =>
        {
            var pipeline = ExperimentPipeline.Load(parse.GetValue(file)!.FullName);
            if (parse.GetValue(data) is { } dir)
                pipeline = pipeline with { Dataset = dir.FullName };
            string runsRoot = parse.GetValue(runs)!.FullName;
            AnsiConsole.MarkupLineInterpolated($"[bold]pipeline {pipeline.Name}[/]: {pipeline.Description}");
            var runner = new ExperimentRunner(new ExperimentSteps(runsRoot, parse.GetValue(device)), new SynchronousProgress<ExperimentEvent>(Render));
            var outcome = runner.Run(pipeline, new ExperimentPaths(runsRoot, parse.GetValue(models)!.FullName), cancellation);
            return Task.FromResult(outcome.ExitCode);
        });
        return command;
    }

    private static void Render(ExperimentEvent e)
    {
        switch (e)
        {
            case PlanReady plan:
                AnsiConsole.MarkupLineInterpolated($"{plan.Runs.Count} runs: {string.Join(", ", plan.Runs.GroupBy(r => r.State).Select(g => $"{g.Count()} {g.Key.ToString().ToLowerInvariant()}"))}");
                break;
            case RunSkipped skipped:
                AnsiConsole.MarkupLineInterpolated($"[bold]{skipped.Run.Spec.Name}[/]: {skipped.Reason}");
                break;
            case RunStarting starting:
                AnsiConsole.MarkupLineInterpolated($"[grey]run {starting.Position} of {starting.Count}[/]");
                break;
            case ModelExported exported:
                AnsiConsole.MarkupLineInterpolated($"  exported {exported.Path}{(exported.Int8 ? " (int8)" : "")}");
                break;
            case ModelEvaluated evaluated:
                AnsiConsole.MarkupLineInterpolated($"  ML.NET top-1 {evaluated.Evaluation.Top1:P2} on {evaluated.Evaluation.Set} ({evaluated.Evaluation.Device})");
                break;
            case RunPublished published:
                AnsiConsole.MarkupLineInterpolated($"  published {published.Folder}");
                break;
            case ReportWritten written:
                AnsiConsole.MarkupLineInterpolated($"[green]report[/]: {written.Report.HtmlPath}");
                break;
        }
    }
}
