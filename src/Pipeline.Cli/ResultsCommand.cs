using System.CommandLine;
using Pipeline.Reporting.Results;
using Spectre.Console;

namespace Pipeline.Cli;

public static class ResultsCommand
{
    public static Command Create()
    {
        var pipelines = new Argument<FileInfo[]>("pipelines")
        {
            Description = "The experiment pipelines whose published run records the page summarises. Default: every pipeline in pipelines/ that names a \"results\" folder, the short-run ones first.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var output = new Option<DirectoryInfo>("--output", "-o") { Description = "Folder for README.md, the plots and results.json.", DefaultValueFactory = _ => new DirectoryInfo("docs/results") };
        var readme = new Option<FileInfo?>("--readme")
        {
            Description = "A README whose answer map, between its two marker lines, is rewritten from the same records (the Results target passes the repository's README.md).",
        };
        var command = new Command("results", "Generate the results page (tables, confidence intervals, plots, a JSON summary) from the experiments' published run records; nothing is trained or scored.")
        {
            pipelines, output, readme,
        };
        command.SetAction(parse =>
        {
            var files = parse.GetValue(pipelines) ?? [];
            var experiments = files.Length == 0
                ? PageExperiment.In(Environment.CurrentDirectory)
                : files.Select(f => PageExperiment.Load(f.FullName, Environment.CurrentDirectory)).ToArray();
            var results = ResultsPage.Load(experiments, Environment.CurrentDirectory);
            // The README first: its markers are the input that can be wrong, and then nothing is written.
            if (parse.GetValue(readme) is { } file)
            {
                bool changed = ReadmeAnswerMap.Update(file.FullName, ReadmeAnswerMap.Render(results));
                AnsiConsole.MarkupLineInterpolated($"[green]results[/]: the answer map in {file.FullName} {(changed ? "rewritten" : "unchanged")}");
            }
            var written = ResultsPage.Write(parse.GetValue(output)!.FullName, ResultsPage.Build(results));
            AnsiConsole.MarkupLineInterpolated($"[green]results[/]: {written.Count} files in {parse.GetValue(output)!.FullName} ({ResultsPage.PageFile} first)");
            return ExitCodes.Ok;
        });
        return command;
    }
}
