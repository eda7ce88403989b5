using System.CommandLine;
using Pipeline.Cli;

var root = new RootCommand(
    "Trains torchvision- and timm-style ResNet18s on Imagenette with TorchSharp, exports them to ONNX, " +
    "and evaluates them with ML.NET: why does timm's ResNet18 train worse in short runs?")
{
    TrainCommand.Create(),
    ExportCommand.Create(),
    ValidateCommand.Create(),
    EvaluateCommand.Create(),
    ReportCommand.Create(),
    RunCommand.Create(),
    ResultsCommand.Create(),
    DataCommand.Create(),
    BenchCommand.Create(),
};
// Logs keep whole lines: Spectre.Console wraps at the terminal's width, 80 columns when the output is a file or pipe.
if (Console.IsOutputRedirected)
    Spectre.Console.AnsiConsole.Profile.Width = 10_000;
// Our own handler turns user mistakes into one line; System.CommandLine's would print a stack trace.
return await ErrorHandling.RunAsync(() => root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }));
