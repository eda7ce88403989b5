using System.CommandLine;
using Pipeline.Onnx;
using Spectre.Console;

namespace Pipeline.Cli;

public static class ExportCommand
{
    public static Command Create()
    {
        var run = new Argument<string>("run") { Description = "Run name (folder under --runs) or path to a run folder." };
        var output = new Option<FileInfo?>("--output", "-o") { Description = "File to write. Default: models/<run>.onnx (models/<run>.safetensors with --state-dict)." };
        var stateDict = new Option<bool>("--state-dict")
        {
            Description = "Write the trained weights as a PyTorch state dict instead of ONNX: .safetensors (default), or .pth/.pt by the --output name; PyTorch's names, " +
                          "so it loads into torchvision.models.resnetXX(num_classes=N) (library head) or src/Pipeline.Models/PyTorch/pipeline_resnet.py (fastai head).",
        };
        var data = new Option<DirectoryInfo?>("--data") { Description = "The run's dataset folder, for --int8's calibration images when it is not where the run was trained (class names come from the run's record)." };
        var noFold = new Option<bool>("--no-fold") { Description = "Keep BatchNormalization nodes instead of folding them into the convolutions." };
        var int8 = new Option<bool>("--int8")
        {
            Description = "Quantize to int8 (QDQ; ONNX Runtime's integer kernels, about 2× faster on CPUs with VNNI), calibrated on training images. " +
                          "Writes <name>.int8.onnx by default.",
        };
        var calibration = new Option<int>("--calibration-per-class") { Description = "Training images per class to calibrate --int8 on.", DefaultValueFactory = _ => 32 }.Within(1, 100_000);
        var runs = TrainCommand.RunsOption();
        var command = new Command("export", "Export a finished run to a self-describing ONNX model (+ model card), or to a PyTorch state dict (--state-dict).")
        {
            run, output, stateDict, noFold, int8, calibration, data, runs,
        };
        command.SetAction(parse =>
        {
            string name = parse.GetValue(run)!;
            string folder = Directory.Exists(name) ? name : Path.Combine(parse.GetValue(runs)!.FullName, name);
            bool quantize = parse.GetValue(int8);
            string runName = Path.GetFileName(Path.TrimEndingDirectorySeparator(folder));
            if (parse.GetValue(stateDict))
            {
                if (quantize)
                    throw new UsageException("--state-dict writes the float weights for PyTorch; --int8 is an ONNX export. Give one of them.");
                string weights = parse.GetValue(output)?.FullName ?? Path.Combine("models", runName + ".safetensors");
                RunExport.ExportStateDict(folder, weights);
                AnsiConsole.MarkupLineInterpolated($"[green]exported[/] {Path.GetFullPath(weights)} ({new FileInfo(weights).Length / 1e6:F1} MB, PyTorch state dict)");
                return ExitCodes.Ok;
            }
            string target = parse.GetValue(output)?.FullName ?? Path.Combine("models", runName + (quantize ? ".int8.onnx" : ".onnx"));
            var metadata = RunExport.Export(folder, target, new OnnxExportOptions { FoldBatchNorm = !parse.GetValue(noFold) },
                quantize ? parse.GetValue(calibration) : null, parse.GetValue(data)?.FullName);
            AnsiConsole.MarkupLineInterpolated($"[green]exported[/] {Path.GetFullPath(target)} ({new FileInfo(target).Length / 1e6:F1} MB; trainer's val top-1 {metadata.ValTop1:P2}); model card {Path.ChangeExtension(Path.GetFullPath(target), ".md")}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
