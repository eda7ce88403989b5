using System.CommandLine;
using System.Text.Json;
using Pipeline.Experiments;
using Spectre.Console;

namespace Pipeline.Cli;

public static class PlanCommand
{
    /// <summary>One run of the plan as <c>--json</c> writes it: a CI matrix entry (GitHub Actions reads the list under "include").</summary>
    public sealed record Entry(int Index, int Count, string Pipeline, string Name, string Flavour, bool ZeroInitLast, string Head, int ImageSize, int Epochs, int Seed, string State, string Shard);

    public static Command Create()
    {
        var file = new Argument<FileInfo>("pipeline") { Description = "A pipeline file (pipelines/*.json)." };
        var runs = TrainCommand.RunsOption();
        var json = new Option<bool>("--json") { Description = "Print {\"include\": [...]}: one entry per run, usable as a CI matrix (index, count, name, settings, state, and the --shard value of a one-run worker)." };
        var command = new Command("plan", "List a pipeline's runs in their fixed order, with their settings and where each stands; the order `run --shard I/N` divides.")
        {
            file, runs, json,
        };
        command.SetAction(parse =>
        {
            var pipeline = ExperimentPipeline.Load(parse.GetValue(file)!.FullName);
            var plan = ExperimentRunner.Plan(pipeline, new ExperimentPaths(parse.GetValue(runs)!.FullName, "models"));
            var entries = plan.Select(r => new Entry(r.Index, plan.Count, pipeline.Name, r.Spec.Name, r.Spec.Flavour.ToString().ToLowerInvariant(), r.Spec.EffectiveZeroInitLast,
                r.Spec.Head.ToString().ToLowerInvariant(), r.Spec.ImageSize, r.Spec.Epochs, r.Spec.Seed, r.State.ToString().ToLowerInvariant(), $"{r.Index}/{plan.Count}")).ToArray();
            if (parse.GetValue(json))
            {
                // Plain stdout: a script captures it whole (Spectre would wrap or colour it).
                Console.WriteLine(JsonSerializer.Serialize(new { include = entries }, new JsonSerializerOptions(JsonSerializerDefaults.Web)));
                return ExitCodes.Ok;
            }
            var table = new Table().AddColumns("#", "run", "flavour", "zero-init", "head", "px", "epochs", "seed", "state");
            foreach (var e in entries)
                table.AddRow(e.Index.ToString(), e.Name, e.Flavour, e.ZeroInitLast ? "yes" : "no", e.Head, e.ImageSize.ToString(), e.Epochs.ToString(), e.Seed.ToString(), e.State);
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLineInterpolated($"{entries.Length} runs, {plan.Sum(r => r.Spec.Epochs)} epochs; {plan.Count(r => r.State is RunState.Finished or RunState.Published)} done{(plan.Count(r => r.State == RunState.Diverged) is > 0 and var diverged ? $", {diverged} diverged" : "")}.");
            return ExitCodes.Ok;
        });
        return command;
    }
}
