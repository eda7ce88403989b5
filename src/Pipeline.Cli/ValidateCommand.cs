using System.CommandLine;
using Pipeline.Onnx;
using Spectre.Console;

namespace Pipeline.Cli;

public static class ValidateCommand
{
    public static Command Create()
    {
        var model = new Argument<FileInfo>("model") { Description = "An exported .onnx model." };
        var data = new DataOptions();
        var split = DatasetOptions.Split();
        var perClass = new Option<int?>("--per-class") { Description = "Only the first N images of each class." }.Within(1, 100_000);
        var batch = new Option<int>("--batch") { Description = "Images per ONNX Runtime call.", DefaultValueFactory = _ => 64 }.Within(1, 4096);
        var command = new Command("validate", "Run an exported model with ONNX Runtime over a dataset split and print top-1/top-5 (like timm's onnx_validate.py).")
        {
            model, split, perClass, batch,
        };
        foreach (var option in data.All)
            command.Options.Add(option);
        command.SetAction((parse, cancellation) =>
        {
            var dataset = data.Open(parse);
            DatasetOptions.ShowWarnings(dataset);
            var images = DatasetOptions.SplitOf(dataset, parse.GetValue(split)!, parse.GetValue(perClass));
            string path = parse.GetValue(model)!.FullName;
            OnnxValidationResult result = null!;
            AnsiConsole.Progress().AutoClear(true).Start(ctx =>
            {
                var task = ctx.AddTask("validating", maxValue: images.Count);
                result = OnnxValidator.Validate(path, images, dataset.Classes.Ids, $"{dataset.Name} {parse.GetValue(split)}", dataset.Fingerprint, parse.GetValue(batch),
                    new Progress<(int Done, int Total)>(p => task.Value = p.Done), cancellation);
            });
            AnsiConsole.MarkupLineInterpolated(
                $"{Path.GetFileName(path)}: top-1 [bold]{result.Top1:P2}[/], top-5 {result.Top5:P2} on {result.Images} {parse.GetValue(split)} images; {result.ImagesPerSecond:F0} images/s (ONNX Runtime, CPU)");
            return Task.FromResult(ExitCodes.Ok);
        });
        return command;
    }
}
