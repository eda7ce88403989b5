using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Pipeline.Data;
using Pipeline.Evaluation;
using Pipeline.Experiments;
using Pipeline.Inference;
using Pipeline.Models;
using Pipeline.Onnx;
using Pipeline.Training;
using Spectre.Console;
using TorchSharp;

namespace Pipeline.Cli;

/// <summary>One measured figure; Ratio is against the first figure of its group (the group's baseline).</summary>
public sealed record BenchFigure(string Group, string Name, double ImagesPerSecond, double Ratio, string Note = "");

/// <summary>
/// Speed, measured side by side in one process: training steps in each memory format and precision, the data
/// loader, batched inference through TorchSharp and ONNX Runtime, and the ML.NET evaluation pipeline from the naive
/// set-up to the optimised ones. A benchmark, not a test: figures depend on the machine and on what else runs on it.
/// </summary>
public static class BenchCommand
{
    private delegate void Record(string group, string name, double imagesPerSecond, string note = "");

    public static Command Create()
    {
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 64 }.Within(1, 4096);
        var size = new Option<int>("--image-size") { DefaultValueFactory = _ => 128 }.Within(32, 1024);
        var steps = new Option<int>("--steps") { Description = "Timed training steps per setting (after 2 warm-up steps).", DefaultValueFactory = _ => 8 }.Within(1, 100_000);
        var evalImages = new Option<int>("--eval-images") { Description = "Val images for the inference and ML.NET figures.", DefaultValueFactory = _ => 1000 }.Within(1, 100_000);
        var output = new Option<FileInfo>("--output") { Description = "JSON file for the figures.", DefaultValueFactory = _ => new FileInfo("reports/bench.json") };
        var data = DatasetOptions.Data();
        var arch = new Option<ResNetArch[]>("--arch")
        {
            Description = "Depths to time training and TorchSharp inference for (resnet18 resnet34 resnet50); the ONNX and ML.NET figures use the first.",
            DefaultValueFactory = _ => [ResNetArch.ResNet18],
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command("bench", "Measure training, loader, inference and ML.NET evaluation speed (images/s) with ratios to each group's baseline; writes JSON.")
        {
            batch, size, steps, evalImages, output, data, arch,
        };
        command.SetAction(parse =>
        {
            int b = parse.GetValue(batch), s = parse.GetValue(size), n = parse.GetValue(steps);
            var figures = new List<BenchFigure>();
            void Add(string group, string name, double rate, string note = "")
            {
                double baseline = figures.FirstOrDefault(f => f.Group == group)?.ImagesPerSecond ?? rate;
                figures.Add(new BenchFigure(group, name, rate, rate / baseline, note));
                AnsiConsole.MarkupLineInterpolated($"  {group}: {name}: [bold]{rate:F1}[/] images/s ({rate / baseline:F2}×){(note.Length > 0 ? $" {note}" : "")}");
            }

            TorchRuntime.EnsureLoaded();
            torch.set_num_threads(Environment.ProcessorCount);
            string cpu = CpuFeatures.ModelName;
            AnsiConsole.MarkupLineInterpolated($"[bold]machine[/]: {cpu}, {Environment.ProcessorCount} cores; precision {CpuFeatures.AutoPrecisionChoice}");

            var archs = parse.GetValue(arch)!.Distinct().ToArray();
            var configs = archs.Select(a => new ResNetConfig(ResNetFlavour.Torchvision, ZeroInitLast: false, HeadKind.Fastai) { Arch = a }).ToArray();
            foreach (var config in configs)
            {
                string group = configs.Length > 1 || config.Arch != ResNetArch.ResNet18 ? $"training {config.Arch.Name()}" : "training";
                AnsiConsole.MarkupLineInterpolated($"[bold]{group}[/]: {config.Arch} ({config.Head} head), {s} px, batch {b}, {n} timed steps each, random data");
                foreach (var setting in Throughput.Settings)
                    Add(group, setting.Name, Throughput.Training(config, setting, b, s, warmupSteps: 2, steps: n));
                string inference = group.Replace("training", "inference", StringComparison.Ordinal);
                foreach (var setting in Throughput.Settings)
                    Add(inference, $"TorchSharp eval, {setting.Name} (batch {b})", Throughput.Inference(config, setting, b, s, 1, 4), "random data");
            }

            var dataset = DatasetOptions.Open(parse.GetValue(data));
            int side = (int)Math.Round(s * Recipe.FastaiReference.ResizeScale);
            MeasureLoader(dataset, side, s, b, Add);

            var images = dataset.Val.Take(parse.GetValue(evalImages)).ToList();
            MeasureExports(configs[0], dataset, images, side, s, b, Add);

            var target = parse.GetValue(output)!;
            Directory.CreateDirectory(target.DirectoryName!);
            var record = new
            {
                machine = new { cpu, cores = Environment.ProcessorCount, os = Environment.OSVersion.ToString(), nativeBf16 = CpuFeatures.HasNativeBf16 },
                batch = b,
                imageSize = s,
                arch = archs.Select(a => a.Name()).ToArray(),
                trainingSteps = n,
                evalImages = images.Count,
                figures,
            };
            AtomicFile.WriteText(target.FullName, JsonSerializer.Serialize(record, new JsonSerializerOptions { WriteIndented = true }));
            var table = new Table().AddColumns("group", "setting", "images/s", "× baseline", "note");
            foreach (var f in figures)
                table.AddRow(f.Group, f.Name.EscapeMarkup(), f.ImagesPerSecond.ToString("F1"), f.Ratio.ToString("F2"), f.Note.EscapeMarkup());
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLineInterpolated($"figures written to {target.FullName}");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// The loader from the decoded train cache, per train transform: the CPU one image costs on one thread (process
    /// CPU time, best of 3 passes over 2,000 images, so other work on the machine does not inflate it) and the rate of
    /// batches with 2 workers, timed on the second pass, when the memory-mapped cache is paged in as later epochs see it.
    /// </summary>
    private static void MeasureLoader(ImagenetteDataset dataset, int side, int size, int batch, Record add)
    {
        AnsiConsole.MarkupLineInterpolated($"[bold]loader[/]: decoded cache (train, short side {side}) → batches of {batch}, 2 workers");
        using var cache = DecodedImageCache.BuildOrOpen(dataset.Train, side, dataset.Fingerprint);
        foreach (IImageTransform transform in new IImageTransform[] { new ResizeThenRandomCrop(size), new RandomResizedCrop(size) })
        {
            var pixels = new byte[3 * size * size];
            double best = double.MaxValue;
            for (int pass = 0; pass < 3; pass++)
            {
                var rng = new Random(pass);
                var before = Process.GetCurrentProcess().TotalProcessorTime;
                for (int i = 0; i < 2000; i++)
                    transform.Apply(cache.Get(i % cache.Count), rng, pixels);
                best = Math.Min(best, (Process.GetCurrentProcess().TotalProcessorTime - before).TotalMicroseconds / 2000);
            }

            double rate = 0;
            for (int epoch = 0; epoch < 2; epoch++)
            {
                using var loader = new BatchLoader(cache, transform, batch, shuffle: true, seed: 0, epoch, dropLast: true);
                var clock = Stopwatch.StartNew();
                long loaded = loader.Take(60).Sum(x => (long)x.Count);
                rate = loaded / clock.Elapsed.TotalSeconds;
            }
            add("loader", $"{transform.GetType().Name}, 2 workers", rate, $"{best:F0} µs CPU per image ({1e6 / best:F0} images/s per core)");
        }
    }

    /// <summary>
    /// Batched inference of the exports (ONNX Runtime float32 and int8) and the ML.NET pipeline on real val images:
    /// naive (BatchNorm unfolded, ONNX Runtime's default threads), then this project's defaults (folded, one intra-op
    /// thread per ML.NET cursor), then the int8 export. All exports are of the same random-init model.
    /// </summary>
    private static void MeasureExports(ResNetConfig config, ImagenetteDataset dataset, IReadOnlyList<LabeledImage> images, int side, int size, int batch,
        Record add)
    {
        AnsiConsole.MarkupLineInterpolated($"[bold]exports[/]: {config.Arch}, batch {batch}, {images.Count} val images at {side} → crop {size}");

        string folder = Directory.CreateTempSubdirectory("pipeline-bench-").FullName;
        try
        {
            var metadata = new ModelMetadata
            {
                Classes = RunExport.ImagenetteModelClasses,
                InputWidth = side,
                InputHeight = side,
                CropSize = size,
                Mean = [0.485f, 0.456f, 0.406f],
                Std = [0.229f, 0.224f, 0.225f],
                Flavour = "torchvision",
                ZeroInitLast = false,
                Head = "fastai",
                Architecture = config.Arch.Name(),
            };
            string unfolded = Path.Combine(folder, "unfolded.onnx"), folded = Path.Combine(folder, "folded.onnx"), int8 = Path.Combine(folder, "int8.onnx");
            torch.manual_seed(0);
            using (var model = ResNet.Create(config))
            {
                model.eval();
                OnnxExporter.Export(model, metadata, unfolded, new OnnxExportOptions { WriteModelCard = false, FoldBatchNorm = false });
                OnnxExporter.Export(model, metadata, folded, new OnnxExportOptions { WriteModelCard = false });
                var calibration = RunExport.CalibrationImages(dataset.Train.FirstPerClass(8), side, dataset.Fingerprint);
                OnnxExporter.Export(model, metadata, int8, new OnnxExportOptions { WriteModelCard = false, Int8 = calibration });
            }
            add("exports", $"ONNX Runtime direct, fp32 folded (batch {batch})", OnnxValidator.Validate(folded, images, dataset.Fingerprint, batch).ImagesPerSecond, "decoded cache");
            add("exports", $"ONNX Runtime direct, int8 (batch {batch})", OnnxValidator.Validate(int8, images, dataset.Fingerprint, batch).ImagesPerSecond, "decoded cache");

            AnsiConsole.MarkupLineInterpolated($"[bold]ML.NET pipeline[/]: LoadImages → ResizeImages → ExtractPixels → ApplyOnnxModel, one image per row, JPEG decoding included");
            var set = DatasetOptions.EvaluationSetOf(dataset, images, "bench");
            double MlNet(string model, OnnxThreading threading) =>
                new ModelEvaluator(new EvaluationOptions { Device = ComputeDevice.Cpu, Threading = threading }).Evaluate(new ModelToEvaluate(model), set).ImagesPerSecond;
            add("ML.NET pipeline", "naive: BatchNorm unfolded, ONNX Runtime default threads", MlNet(unfolded, new OnnxThreading()), "baseline");
            var tuned = new EvaluationOptions().Threading;
            add("ML.NET pipeline", "fp32 folded, 1 ONNX Runtime thread per cursor (default)", MlNet(folded, tuned));
            add("ML.NET pipeline", "int8 (pipeline export --int8), 1 thread per cursor", MlNet(int8, tuned));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
