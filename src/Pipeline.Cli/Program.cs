using Pipeline.Cli;

var root = CliRoot.Create();
// Logs keep whole lines: Spectre.Console wraps at the terminal's width, 80 columns when the output is a file or pipe.
if (Console.IsOutputRedirected)
    Spectre.Console.AnsiConsole.Profile.Width = 10_000;
// Our own handler turns parse errors and user mistakes into one line (exit 2); System.CommandLine's would print the help or a stack trace.
return await ErrorHandling.RunAsync(root.Parse(args));
