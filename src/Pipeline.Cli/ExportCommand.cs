using System.CommandLine;
using Pipeline.Onnx;
using Spectre.Console;

namespace Pipeline.Cli;

public static class ExportCommand
{
    public static Command Create()
    {
        var run = new Argument<string>("run") { Description = "Run name (folder under --runs) or path to a run folder." };
        var output = new Option<FileInfo?>("--output", "-o") { Description = "ONNX file to write. Default: models/<run>.onnx." };
        var noFold = new Option<bool>("--no-fold") { Description = "Keep BatchNormalization nodes instead of folding them into the convolutions." };
        var runs = TrainCommand.RunsOption();
        var command = new Command("export", "Export a finished run to a self-describing ONNX model (+ model card).") { run, output, noFold, runs };
        command.SetAction(parse =>
        {
            string name = parse.GetValue(run)!;
            string folder = Directory.Exists(name) ? name : Path.Combine(parse.GetValue(runs)!.FullName, name);
            string target = parse.GetValue(output)?.FullName ?? Path.Combine("models", Path.GetFileName(Path.TrimEndingDirectorySeparator(folder)) + ".onnx");
            var metadata = RunExport.Export(folder, target, new OnnxExportOptions { FoldBatchNorm = !parse.GetValue(noFold) });
            AnsiConsole.MarkupLineInterpolated($"[green]exported[/] {Path.GetFullPath(target)} ({new FileInfo(target).Length / 1e6:F1} MB; trainer's val top-1 {metadata.ValTop1:P2}); model card {Path.ChangeExtension(Path.GetFullPath(target), ".md")}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
