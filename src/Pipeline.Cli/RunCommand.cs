using System.CommandLine;
using Pipeline.Data;
using Pipeline.Evaluation;
using Pipeline.Inference;
using Pipeline.Onnx;
using Pipeline.Reporting;
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
            string modelDir = Path.Combine(parse.GetValue(models)!.FullName, pipeline.Name);
            var specs = pipeline.Runs().ToList();
            AnsiConsole.MarkupLineInterpolated($"[bold]pipeline {pipeline.Name}[/]: {specs.Count} runs. {pipeline.Description}");

            var exported = new List<string>();
            EvaluationSet? perRunSet = null;
            foreach (var spec in specs)
            {
                if (pipeline.Results.Length > 0 && RunRecord.IsPublished(pipeline.Results, spec.Name))
                {
                    AnsiConsole.MarkupLineInterpolated($"[bold]{spec.Name}[/]: finished earlier, published in {pipeline.Results}");
                    continue;
                }
                TrainingConsole.Run(spec, runsRoot, cancellation);
                string runFolder = Path.Combine(runsRoot, spec.Name);
                if (!pipeline.Export)
                {
                    if (pipeline.Results.Length > 0)
                        RunRecord.Publish(runFolder, pipeline.Results);
                    continue;
                }
                string onnx = Path.Combine(modelDir, spec.Name + ".onnx");
                RunExport.Export(runFolder, onnx);
                exported.Add(onnx);
                AnsiConsole.MarkupLineInterpolated($"  exported {onnx}");
                if (pipeline.EvaluateEachRun)
                {
                    perRunSet ??= EvaluationSetOf(pipeline, pipeline.Evaluate ?? new EvaluationStep());
                    var scored = new ModelEvaluator(new EvaluationOptions { Device = parse.GetValue(device) }).Evaluate(new ModelToEvaluate(onnx), perRunSet);
                    RunEvaluation.From(scored, perRunSet).Write(runFolder);
                    AnsiConsole.MarkupLineInterpolated($"  ML.NET top-1 {scored.Metrics.Top1:P2} on {perRunSet.Name} ({scored.Device})");
                }
                if (pipeline.Results.Length > 0)
                    RunRecord.Publish(runFolder, pipeline.Results);
                if (pipeline.Int8)
                {
                    string int8 = Path.Combine(modelDir, spec.Name + ".int8.onnx");
                    RunExport.Export(Path.Combine(runsRoot, spec.Name), int8, int8CalibrationPerClass: pipeline.Int8CalibrationPerClass);
                    exported.Add(int8);
                    AnsiConsole.MarkupLineInterpolated($"  exported {int8} (int8)");
                }
            }

            if (pipeline.Evaluate is not { } step || exported.Count == 0)
                return Task.FromResult(ExitCodes.Ok);
            var set = perRunSet ?? EvaluationSetOf(pipeline, step);
            var outcome = EvaluationJob.Run(new EvaluationJobRequest
            {
                Models = exported.Select(m => new ModelToEvaluate(m)).ToArray(),
                Set = set,
                ReportDirectory = step.ReportDirectory.Length > 0 ? step.ReportDirectory : Path.Combine("reports", pipeline.Name),
                HistoryPath = step.History.Length > 0 ? step.History : null,
                RunsRoot = runsRoot,
                Options = new EvaluationOptions { Device = parse.GetValue(device) },
            }, Console.Out);
            AnsiConsole.MarkupLineInterpolated($"[green]report[/]: {Path.GetFullPath(outcome.Files.Html)}");
            return Task.FromResult(outcome.ExitCode);
        });
        return command;
    }

    private static EvaluationSet EvaluationSetOf(ExperimentPipeline pipeline, EvaluationStep step)
    {
        var dataset = DatasetOptions.Open(pipeline.Dataset is null ? null : new DirectoryInfo(pipeline.Dataset));
        var images = DatasetOptions.SplitOf(dataset, step.Split, step.PerClassLimit > 0 ? step.PerClassLimit : null);
        return DatasetOptions.EvaluationSetOf(dataset, images, $"imagenette {step.Split}");
    }
}
