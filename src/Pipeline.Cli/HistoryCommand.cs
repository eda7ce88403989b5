using System.CommandLine;
using System.Globalization;
using Pipeline.Evaluation;
using Pipeline.Evaluation.History;
using Pipeline.Experiments;
using Pipeline.Reporting;
using Spectre.Console;

namespace Pipeline.Cli;

public static class HistoryCommand
{
    public static Command Create()
    {
        var history = new Option<string>("--history") { Description = "The SQLite history evaluate appends to.", DefaultValueFactory = _ => EvaluationPlan.DefaultHistory };
        var model = new Option<string?>("--model") { Description = "Only this model (its file name without .onnx)." };
        var csv = new Option<FileInfo?>("--csv") { Description = "Also write every record as CSV to this file." };
        var command = new Command("history", "Show the evaluation history: each model's records, oldest first, its change and its best; export CSV. `pin`/`unpin` move a model's baseline.")
        {
            history, model, csv, HistoryBaselineCommands.Pin(), HistoryBaselineCommands.Unpin(),
        };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(history)!;
            // Reading must not create an empty history where a mistyped path points.
            if (!File.Exists(path))
                throw new EvaluationException(path, "no such history. Give the file `evaluate --history` (or a plan's \"history\") writes.");
            var records = EvaluationHistory.Open(path).Records(parse.GetValue(model));
            var c = CultureInfo.InvariantCulture;
            foreach (var trend in ModelTrend.Of(records))
            {
                AnsiConsole.MarkupLineInterpolated(
                    $"[bold]{trend.ModelName}[/] on {trend.First.Examples} images ({ReportWriter.Short(trend.ExamplesFingerprint)}): {trend.Records.Count} record(s); top-1 {NumberText.Percent(trend.First.Top1)} → {NumberText.Percent(trend.Latest.Top1)} % ({NumberText.Signed(trend.ChangePp)} pp), best {NumberText.Percent(trend.Best.Top1)} %{(trend.BelowBestPp > 0 ? $", latest {NumberText.Fixed(trend.BelowBestPp)} pp below it" : "")}");
                var table = new Table().AddColumns("when (UTC)", "top-1 %", "Δ prev. pp", "top-5 %", "model sha256", "device", "project");
                HistoryRecord? previous = null;
                foreach (var r in trend.Records)
                {
                    table.AddRow(r.TimestampUtc.UtcDateTime.ToString("yyyy-MM-dd HH:mm", c), NumberText.Percent(r.Top1),
                        previous is null ? "" : NumberText.Signed((r.Top1 - previous.Top1) * 100),
                        NumberText.Percent(r.Top5), ReportWriter.Short(r.ModelSha256), Markup.Escape(r.Device), Markup.Escape(r.ProjectVersion));
                    previous = r;
                }
                AnsiConsole.Write(table);
            }
            if (records.Count == 0)
                AnsiConsole.MarkupLineInterpolated($"{DisplayPath.Of(Path.GetFullPath(path))} holds no records{(parse.GetValue(model) is { } m ? $" of {m}" : "")}.");
            if (parse.GetValue(csv) is { } file)
            {
                AtomicFile.WriteText(file.FullName, ModelTrend.ToCsv(records));
                AnsiConsole.MarkupLineInterpolated($"[green]csv[/]: {DisplayPath.Of(file.FullName)} ({records.Count} records)");
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
