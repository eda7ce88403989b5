using System.CommandLine;
using Pipeline.Evaluation;
using Pipeline.Evaluation.History;
using Pipeline.Reporting;
using Spectre.Console;

namespace Pipeline.Cli;

/// <summary>
/// The evaluation history's baselines: each new record is compared with the model's pinned record, else its best, so a
/// regression stays red until the model is fixed or the baseline is moved here, on purpose. <see cref="Pin"/> and
/// <see cref="Unpin"/> are sub-commands of `history` (<see cref="HistoryCommand"/>).
/// </summary>
public static class HistoryBaselineCommands
{
    private static Option<string> HistoryOption() => new("--history")
    {
        Description = "The SQLite evaluation history.",
        DefaultValueFactory = _ => EvaluationPlan.DefaultHistory,
    };

    private static Argument<string> ModelArgument() => new("model") { Description = "The model's name in the history: its file name without .onnx." };

    public static Command Pin()
    {
        var model = ModelArgument();
        var record = new Option<long?>("--record") { Description = "The record to pin (its id in the history). Default: the model's latest record." }.Within(1, long.MaxValue);
        var history = HistoryOption();
        var command = new Command("pin",
            "Make a record the model's baseline (default: its latest), e.g. to accept a model that is worse by design; later evaluations are compared with it instead of the best record.")
        {
            model, record, history,
        };
        command.SetAction(parse =>
        {
            var pinned = Open(parse.GetValue(history)!).Pin(parse.GetValue(model)!, parse.GetValue(record));
            AnsiConsole.MarkupLineInterpolated(
                $"[green]pinned[/] {pinned.ModelName}: record {pinned.Id}, top-1 {pinned.Top1:P2} on {pinned.Examples} images, {pinned.TimestampUtc.UtcDateTime:yyyy-MM-dd HH:mm} UTC");
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command Unpin()
    {
        var model = ModelArgument();
        var history = HistoryOption();
        var command = new Command("unpin", "Remove the model's pinned baseline: it is compared with its best record again.") { model, history };
        command.SetAction(parse =>
        {
            int removed = Open(parse.GetValue(history)!).Unpin(parse.GetValue(model)!);
            AnsiConsole.MarkupLineInterpolated($"{parse.GetValue(model)}: {(removed > 0 ? "unpinned; compared with its best record again" : "had no pinned baseline")}");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>An existing history only: pinning in a mistyped path would create an empty one and pin nothing.</summary>
    private static EvaluationHistory Open(string path) => File.Exists(path)
        ? EvaluationHistory.Open(path)
        : throw new EvaluationException(Path.GetFullPath(path), "no such evaluation history. Give the file `evaluate` appends to (--history).");
}
