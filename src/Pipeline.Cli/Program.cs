using System.CommandLine;
using Pipeline.Cli;

var root = CliRoot.Create();
// Logs keep whole lines: Spectre.Console wraps at the terminal's width, 80 columns when the output is a file or pipe.
if (Console.IsOutputRedirected)
    Spectre.Console.AnsiConsole.Profile.Width = 10_000;
// Our own handler turns user mistakes into one line; System.CommandLine's would print a stack trace.
return await ErrorHandling.RunAsync(() => root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }));
