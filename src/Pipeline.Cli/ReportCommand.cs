using System.CommandLine;
using Pipeline.Reporting;
using Spectre.Console;

namespace Pipeline.Cli;

public static class ReportCommand
{
    public static Command Create()
    {
        var reports = new Argument<string[]>("reports")
        {
            Description = "report.json files, or the folders holding them. Several are combined into one comparison (same examples only).",
            Arity = ArgumentArity.OneOrMore,
        };
        var output = new Option<string?>("--output", "-o") { Description = "Folder for report.json/.md/.html. Default: the report's own folder (required when combining)." };
        var runs = new Option<string?>("--runs") { Description = "Folder of training runs: re-read the learning curves of the runs the models name. Default: the curves as recorded." };
        var command = new Command("report", "Render reports again from report.json without scoring any model (after an upgrade, or when runs gained epochs); combine several into one.")
        {
            reports, output, runs,
        };
        command.SetAction(parse =>
        {
            string[] inputs = parse.GetValue(reports)!;
            string? directory = parse.GetValue(output);
            if (directory is null && inputs.Length > 1)
                throw new UsageException($"combining {inputs.Length} reports needs --output DIR: by default the combined report would replace {ReportReader.Locate(inputs[0])}.");
            directory ??= Path.GetDirectoryName(Path.GetFullPath(ReportReader.Locate(inputs[0])))!;

            var report = ReportReader.LoadCombined(inputs);
            if (parse.GetValue(runs) is { } runsRoot)
            {
                // A mistyped folder would quietly drop every curve.
                if (!Directory.Exists(runsRoot))
                    throw new UsageException($"--runs {runsRoot}: no such folder of training runs.");
                report = report.WithTrainingRunsFrom(runsRoot);
            }
            var files = ReportWriter.Write(report, directory);
            AnsiConsole.MarkupLineInterpolated($"{report.Models.Count} model(s) from {inputs.Length} report(s), no model scored");
            AnsiConsole.MarkupLineInterpolated($"[green]report[/]: {Path.GetFullPath(files.Html)}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
