using System.CommandLine;

namespace Pipeline.Cli;

/// <summary>The `pipeline` command tree, built in one place: Program runs it, tests parse the command lines that deployment files run.</summary>
public static class CliRoot
{
    public static RootCommand Create() => new(
        "Trains torchvision- and timm-style ResNet18s on Imagenette with TorchSharp, exports them to ONNX, " +
        "and evaluates them with ML.NET: why does timm's ResNet18 train worse in short runs?")
    {
        TrainCommand.Create(),
        ExportCommand.Create(),
        ValidateCommand.Create(),
        EvaluateCommand.Create(),
        ReportCommand.Create(),
        HistoryCommand.Create(),
        RunCommand.Create(),
        PlanCommand.Create(),
        ResultsCommand.Create(),
        DataCommand.Create(),
        BenchCommand.Create(),
    };
}
