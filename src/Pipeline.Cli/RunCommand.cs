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
        var data = new DataOptions();
        var device = new Option<ComputeDevice>("--device") { Description = "Evaluation device: auto, cpu or gpu.", DefaultValueFactory = _ => ComputeDevice.Auto };
        var shard = new Option<string?>("--shard")
        {
            Description = "Be worker I of N of a sweep (I/N, 0 <= I < N: a job index and count): train every N-th run of `pipeline plan`, from the I-th. " +
                          "Runs another worker holds are skipped; the combined report waits for --collect.",
        };
        var claim = new Option<bool>("--claim") { Description = "Be one of any number of sweep workers: train whichever run no other worker holds, then the next, until none is left." };
        var arch = TrainCommand.ArchOption("Only this depth of the pipeline's \"arch\" list: train one depth's part of an experiment first.");
        var collect = new Option<bool>("--collect")
        {
            Description = "The sweep's last step: train nothing; once every run is finished, export what is missing, score, publish and write the combined report (else name the missing runs, exit 1).",
        };
        var command = new Command("run", "Run a whole experiment: train every run not finished yet (interrupted ones resume), export, evaluate with ML.NET, write the report.")
        {
            file, runs, models, device, shard, claim, collect, arch,
        };
        foreach (var option in data.All)
            command.Options.Add(option);
        command.Validators.Add(result =>
        {
            if (new[] { result.GetValue(shard) is not null, result.GetValue(claim), result.GetValue(collect) }.Count(b => b) > 1)
                result.AddError("--shard, --claim and --collect exclude each other: a worker trains, the collector reports.");
        });
        command.SetAction((parse, cancellation) =>
        {
            var pipeline = ExperimentPipeline.Load(parse.GetValue(file)!.FullName);
            if (data.Folder(parse) is { } dir)
                pipeline = pipeline with { Dataset = dir };
            if (parse.GetValue(data.ValFraction) is { } fraction)
                pipeline = pipeline with { ValFraction = fraction };
            if (data.SplitSeedGiven(parse))
                pipeline = pipeline with { SplitSeed = parse.GetValue(data.SplitSeed) };
            if (parse.GetValue(arch) is { } only)
                pipeline = pipeline.OnlyArch(only);
            string runsRoot = parse.GetValue(runs)!.FullName;
            AnsiConsole.MarkupLineInterpolated($"[bold]pipeline {pipeline.Name}[/]: {pipeline.Description}");
            var paths = new ExperimentPaths(runsRoot, parse.GetValue(models)!.FullName);
            var clock = new ExperimentClock();
            var runner = new ExperimentRunner(new ExperimentSteps(runsRoot, parse.GetValue(device), clock), new SynchronousProgress<ExperimentEvent>(e =>
            {
                clock.Observe(e);
                Render(e, clock);
            }));
            RunSelection selection = parse.GetValue(shard) is { } s ? RunSelection.ParseShard(s) : parse.GetValue(claim) ? new RunSelection.Claim() : RunSelection.All;
            var outcome = parse.GetValue(collect) ? runner.Collect(pipeline, paths) : runner.Run(pipeline, paths, selection, cancellation);
            if (outcome.Missing.Count > 0)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]not finished[/]: {outcome.Missing.Count} of {outcome.Plan.Count} runs: {string.Join(", ", outcome.Missing.Select(m => $"{m.Spec.Name} ({m.State.ToString().ToLowerInvariant()}, {m.EpochsDone}/{m.Spec.Epochs} epochs)"))}. Run the workers again (they resume), then --collect.");
                return Task.FromResult(outcome.ExitCode);
            }
            if (selection.IsWorker)
                AnsiConsole.MarkupLineInterpolated($"worker done: trained {outcome.Trained.Count} run(s){(outcome.Trained.Count > 0 ? ": " + string.Join(", ", outcome.Trained.Select(t => t.Spec.Name)) : "")}. When every worker is done: pipeline run {DisplayPath.Of(parse.GetValue(file)!.FullName)} --collect");
            if (outcome.Answer.Count > 0)
            {
                AnsiConsole.WriteLine();
                foreach (string line in outcome.Answer)
                    AnsiConsole.WriteLine(line.Replace("**", "", StringComparison.Ordinal).Replace("`", "", StringComparison.Ordinal));
            }
            if (outcome.Report is { } report)
                AnsiConsole.MarkupLineInterpolated($"[green]report[/]: {DisplayPath.Of(report.HtmlPath)}");
            return Task.FromResult(outcome.ExitCode);
        });
        return command;
    }

    private static void Render(ExperimentEvent e, ExperimentClock clock)
    {
        switch (e)
        {
            case PlanReady plan:
                AnsiConsole.MarkupLineInterpolated($"{plan.Runs.Count} runs: {string.Join(", ", plan.Runs.GroupBy(r => r.State).Select(g => $"{g.Count()} {g.Key.ToString().ToLowerInvariant()}"))}; {clock.TotalEpochs} epochs to train");
                break;
            case RunSkipped skipped:
                AnsiConsole.MarkupLineInterpolated($"[bold]{skipped.Run.Spec.Name}[/]: {skipped.Reason}");
                break;
            case RunStarting starting:
                AnsiConsole.MarkupLineInterpolated($"[grey]run {starting.Position} of {starting.Count}[/]");
                break;
            case RunTrained trained:
                AnsiConsole.MarkupLineInterpolated($"trained {trained.Run.Spec.Name}");
                break;
            case ModelExported exported:
                AnsiConsole.MarkupLineInterpolated($"  exported {exported.Path}{(exported.Int8 ? " (int8)" : "")}");
                break;
            case ModelEvaluated evaluated:
                AnsiConsole.MarkupLineInterpolated($"  ML.NET top-1 {evaluated.Evaluation.Top1:P2} on {evaluated.Evaluation.Set} ({evaluated.Evaluation.Device})");
                break;
            case RunDiverged diverged:
                AnsiConsole.MarkupLineInterpolated($"[yellow]{diverged.Run.Spec.Name} diverged[/] in epoch {diverged.Divergence.Epoch}: a result, recorded; the experiment goes on. {diverged.Divergence.Message}");
                break;
            case RunPublished published:
                AnsiConsole.MarkupLineInterpolated($"  published {published.Folder}");
                break;
        }
    }
}
