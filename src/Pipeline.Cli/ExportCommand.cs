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
        var int8 = new Option<bool>("--int8")
        {
            Description = "Quantize to int8 (QDQ; ONNX Runtime's integer kernels, about 2× faster on CPUs with VNNI), calibrated on training images. " +
                          "Writes <name>.int8.onnx by default.",
        };
        var calibration = new Option<int>("--calibration-per-class") { Description = "Training images per class to calibrate --int8 on.", DefaultValueFactory = _ => 32 }.Within(1, 100_000);
        var runs = TrainCommand.RunsOption();
        var command = new Command("export", "Export a finished run to a self-describing ONNX model (+ model card).") { run, output, noFold, int8, calibration, runs };
        command.SetAction(parse =>
        {
            string name = parse.GetValue(run)!;
            string folder = Directory.Exists(name) ? name : Path.Combine(parse.GetValue(runs)!.FullName, name);
            bool quantize = parse.GetValue(int8);
            string target = parse.GetValue(output)?.FullName
                ?? Path.Combine("models", Path.GetFileName(Path.TrimEndingDirectorySeparator(folder)) + (quantize ? ".int8.onnx" : ".onnx"));
            var metadata = RunExport.Export(folder, target, new OnnxExportOptions { FoldBatchNorm = !parse.GetValue(noFold) },
                quantize ? parse.GetValue(calibration) : null);
            AnsiConsole.MarkupLineInterpolated($"[green]exported[/] {Path.GetFullPath(target)} ({new FileInfo(target).Length / 1e6:F1} MB; trainer's val top-1 {metadata.ValTop1:P2}); model card {Path.ChangeExtension(Path.GetFullPath(target), ".md")}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
