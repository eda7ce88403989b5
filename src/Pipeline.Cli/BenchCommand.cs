using System.CommandLine;
using Pipeline.Benchmarks;
using Pipeline.Experiments;
using Pipeline.Onnx;
using Spectre.Console;

namespace Pipeline.Cli;

/// <summary>`pipeline bench`: runs the <see cref="Benchmark"/> on the dataset's images, prints its figures as they come and writes bench.json.</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 64 }.Within(1, 4096);
        var size = new Option<int>("--image-size") { DefaultValueFactory = _ => 128 }.Within(32, 1024);
        var steps = new Option<int>("--steps") { Description = "Timed training steps per setting (after 2 warm-up steps).", DefaultValueFactory = _ => 8 }.Within(1, 100_000);
        var evalImages = new Option<int>("--eval-images") { Description = "Val images for the inference and ML.NET figures.", DefaultValueFactory = _ => 1000 }.Within(1, 100_000);
        var output = new Option<FileInfo>("--output") { Description = "JSON file for the figures.", DefaultValueFactory = _ => new FileInfo("reports/bench.json") };
        var data = new DataOptions();
        var arch = new Option<ResNetArch[]>("--arch")
        {
            Description = "Depths to time training and TorchSharp inference for (resnet18 resnet34 resnet50); the ONNX and ML.NET figures use the first.",
            DefaultValueFactory = _ => [ResNetArch.ResNet18],
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command("bench", "Measure training, loader, inference and ML.NET evaluation speed (images/s) with ratios to each group's baseline; writes JSON.")
        {
            batch, size, steps, evalImages, output, arch,
        };
        foreach (var option in data.All)
            command.Options.Add(option);
        command.SetAction(parse =>
        {
            var settings = new BenchSettings { Batch = parse.GetValue(batch), ImageSize = parse.GetValue(size), Steps = parse.GetValue(steps), Archs = parse.GetValue(arch)! };
            var dataset = data.Open(parse);
            var val = dataset.Val.Take(parse.GetValue(evalImages)).ToList();
            var benchData = new BenchData(dataset.Train, val, DatasetOptions.EvaluationSetOf(dataset, val, "val"), dataset.Fingerprint, RunExport.ModelClassesOf(dataset.Classes));
            AnsiConsole.MarkupLineInterpolated($"[bold]machine[/]: {CpuFeatures.ModelName}, {Environment.ProcessorCount} cores; precision {CpuFeatures.AutoPrecisionChoice}");
            var report = new Benchmark(settings,
                new SynchronousProgress<string>(s => AnsiConsole.MarkupLineInterpolated($"[bold]{s}[/]")),
                new SynchronousProgress<BenchFigure>(f => AnsiConsole.MarkupLineInterpolated($"  {f.Group}: {f.Name}: [bold]{f.ImagesPerSecond:F1}[/] images/s ({f.Ratio:F2}×){(f.Note.Length > 0 ? $" {f.Note}" : "")}")))
                .Run(benchData);

            var target = parse.GetValue(output)!;
            Directory.CreateDirectory(target.DirectoryName!);
            AtomicFile.WriteText(target.FullName, report.ToJson());
            var table = new Table().AddColumns("group", "setting", "images/s", "× baseline", "note");
            foreach (var f in report.Figures)
                table.AddRow(f.Group, f.Name.EscapeMarkup(), f.ImagesPerSecond.ToString("F1"), f.Ratio.ToString("F2"), f.Note.EscapeMarkup());
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLineInterpolated($"figures written to {target.FullName}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
