using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Pipeline.Data;
using Pipeline.Evaluation;
using Pipeline.Inference;
using Pipeline.Models;
using Pipeline.Onnx;
using Pipeline.Training;
using Spectre.Console;
using TorchSharp;

namespace Pipeline.Cli;

/// <summary>One measured figure; Ratio is against its group's baseline.</summary>
public sealed record BenchFigure(string Group, string Name, double ImagesPerSecond, double Ratio);

/// <summary>
/// Speed, measured side by side in one process: training steps in each memory format and precision,
/// the data loader, and evaluation through TorchSharp, ONNX Runtime and the ML.NET pipeline.
/// A benchmark, not a test: figures depend on the machine and on what else runs on it.
/// </summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 64 };
        var size = new Option<int>("--image-size") { DefaultValueFactory = _ => 128 };
        var steps = new Option<int>("--steps") { Description = "Timed training steps per setting (after 2 warm-up steps).", DefaultValueFactory = _ => 8 };
        var evalImages = new Option<int>("--eval-images") { Description = "Val images for the evaluation figures.", DefaultValueFactory = _ => 320 };
        var output = new Option<FileInfo>("--output") { Description = "JSON file for the figures.", DefaultValueFactory = _ => new FileInfo("reports/bench.json") };
        var data = DatasetOptions.Data();
        var command = new Command("bench", "Measure training, loader and evaluation speed (images/s) with ratios to the baselines; writes JSON.")
        {
            batch, size, steps, evalImages, output, data,
        };
        command.SetAction(parse =>
        {
            int b = parse.GetValue(batch), s = parse.GetValue(size), n = parse.GetValue(steps);
            var figures = new List<BenchFigure>();
            void Add(string group, string name, double rate)
            {
                double baseline = figures.FirstOrDefault(f => f.Group == group)?.ImagesPerSecond ?? rate;
                figures.Add(new BenchFigure(group, name, rate, rate / baseline));
                AnsiConsole.MarkupLineInterpolated($"  {group}: {name}: [bold]{rate:F1}[/] images/s ({rate / baseline:F2}×)");
            }

            TorchRuntime.EnsureLoaded();
            torch.set_num_threads(Environment.ProcessorCount);
            var config = new ResNetConfig(ResNetFlavour.Torchvision, ZeroInitLast: false, HeadKind.Fastai);
            AnsiConsole.MarkupLineInterpolated($"[bold]training[/]: ResNet18 ({config.Head} head), {s} px, batch {b}, {n} timed steps each, {Environment.ProcessorCount} threads");
            foreach (var setting in Throughput.TrainingSettings)
                Add("training", setting.Name, Throughput.Training(config, setting, b, s, warmupSteps: 2, steps: n));

            var dataset = DatasetOptions.Open(parse.GetValue(data));
            int side = (int)Math.Round(s * Recipe.FastaiReference.ResizeScale);
            AnsiConsole.MarkupLineInterpolated($"[bold]loader[/]: decoded cache (train, short side {side}) → batches of {b}, 2 workers");
            using (var cache = DecodedImageCache.BuildOrOpen(dataset.Train, side, dataset.Fingerprint))
            {
                foreach (IImageTransform transform in new IImageTransform[] { new ResizeThenRandomCrop(s), new RandomResizedCrop(s) })
                {
                    // The first pass pages the memory-mapped cache in; time the second, as later epochs see it.
                    double rate = 0;
                    for (int epoch = 0; epoch < 2; epoch++)
                    {
                        using var loader = new BatchLoader(cache, transform, b, shuffle: true, seed: 0, epoch, dropLast: true);
                        var clock = Stopwatch.StartNew();
                        long loaded = loader.Take(60).Sum(x => (long)x.Count);
                        rate = loaded / clock.Elapsed.TotalSeconds;
                    }
                    Add("loader", transform.GetType().Name, rate);
                }
            }

            AnsiConsole.MarkupLineInterpolated($"[bold]evaluation[/]: {parse.GetValue(evalImages)} val images at {side} → crop {s}");
            Add("evaluation", "TorchSharp eval, NCHW fp32 (batch 64)", Throughput.Inference(config, channelsLast: false, b, s, 1, 4));
            Add("evaluation", "TorchSharp eval, channels-last fp32 (batch 64)", Throughput.Inference(config, channelsLast: true, b, s, 1, 4));
            var images = dataset.Val.Take(parse.GetValue(evalImages)).ToList();
            string onnx = Path.Combine(Path.GetTempPath(), $"pipeline-bench-{Environment.ProcessId}.onnx");
            try
            {
                torch.manual_seed(0);
                using (var model = ResNet18.Create(config))
                {
                    model.eval();
                    OnnxExporter.Export(model, new ModelMetadata
                    {
                        Classes = RunExport.ImagenetteModelClasses,
                        InputWidth = side, InputHeight = side, CropSize = s, Mean = [0f, 0f, 0f], Std = [1f, 1f, 1f],
                        Flavour = "torchvision", ZeroInitLast = false, Head = "fastai",
                    }, onnx, new OnnxExportOptions { WriteModelCard = false });
                }
                Add("evaluation", "ONNX Runtime direct (batch 64, cached pixels)", OnnxValidator.Validate(onnx, images, dataset.Fingerprint, b).ImagesPerSecond);
                var set = DatasetOptions.EvaluationSetOf(dataset, images, "bench");
                var evaluation = new ModelEvaluator(new EvaluationOptions { Device = ComputeDevice.Cpu }).Evaluate(new ModelToEvaluate(onnx), set);
                Add("evaluation", "ML.NET pipeline (decode, resize, ApplyOnnxModel)", evaluation.ImagesPerSecond);
            }
            finally
            {
                File.Delete(onnx);
            }

            var target = parse.GetValue(output)!;
            Directory.CreateDirectory(target.DirectoryName!);
            var record = new { machine = $"{Environment.ProcessorCount} cores, {Environment.OSVersion}", batch = b, imageSize = s, figures };
            RunFolder.WriteAtomically(target.FullName, JsonSerializer.Serialize(record, new JsonSerializerOptions { WriteIndented = true }));
            var table = new Table().AddColumns("group", "setting", "images/s", "× baseline");
            foreach (var f in figures)
                table.AddRow(f.Group, f.Name, f.ImagesPerSecond.ToString("F1"), f.Ratio.ToString("F2"));
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLineInterpolated($"figures written to {target.FullName}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
