using System.Diagnostics;
using System.Text.Json;
using Pipeline.Data;
using Pipeline.Evaluation;
using Pipeline.Experiments;
using Pipeline.Inference;
using Pipeline.Models;
using Pipeline.Onnx;
using Pipeline.Training;
using TorchSharp;

namespace Pipeline.Benchmarks;

/// <summary>What to measure: the batch and image size, timed training steps, the depths, and how much real data.</summary>
public sealed record BenchSettings
{
    public int Batch { get; init; } = 64;
    public int ImageSize { get; init; } = 128;
    /// <summary>Timed training steps per setting, after 2 warm-up steps.</summary>
    public int Steps { get; init; } = 8;
    /// <summary>Depths whose training and TorchSharp inference are timed; the exports and ML.NET figures use the first.</summary>
    public IReadOnlyList<ResNetArch> Archs { get; init; } = [ResNetArch.ResNet18];
    /// <summary>Images the loader's transforms are timed on (cycled), each pass.</summary>
    public int LoaderImages { get; init; } = 2000;
    /// <summary>Batches the loader delivers in each timed pass.</summary>
    public int LoaderBatches { get; init; } = 60;

    public int ResizeSide => (int)Math.Round(ImageSize * Recipe.FastaiReference.ResizeScale);
}

/// <summary>
/// The real images the loader, export and ML.NET figures read: training images for the decoded cache and int8
/// calibration, val images (and the same as an ML.NET evaluation set) for inference; the dataset's classes, which the
/// exported models' outputs are.
/// </summary>
public sealed record BenchData(IReadOnlyList<LabeledImage> Train, IReadOnlyList<LabeledImage> Val, EvaluationSet ValSet, string DatasetFingerprint,
    IReadOnlyList<ModelClass> Classes);

/// <summary>One measured figure; Ratio is against the first figure of its group (the group's baseline).</summary>
public sealed record BenchFigure(string Group, string Name, double ImagesPerSecond, double Ratio, string Note = "");

/// <summary>A benchmark's figures and the machine they were measured on: bench.json.</summary>
public sealed record BenchReport(string Cpu, int Cores, bool NativeBf16, BenchSettings Settings, IReadOnlyList<BenchFigure> Figures)
{
    public string ToJson() => JsonSerializer.Serialize(new
    {
        machine = new { cpu = Cpu, cores = Cores, os = Environment.OSVersion.ToString(), nativeBf16 = NativeBf16 },
        batch = Settings.Batch,
        imageSize = Settings.ImageSize,
        arch = Settings.Archs.Select(a => a.Name()).ToArray(),
        trainingSteps = Settings.Steps,
        figures = Figures,
    }, new JsonSerializerOptions { WriteIndented = true });
}

/// <summary>
/// Speed, measured side by side in one process: training steps in each memory format and precision, eval-mode
/// inference in each (bf16 as the trainer validates), the data loader, batched inference of the exports through
/// ONNX Runtime, and the ML.NET evaluation pipeline from the naive set-up to the optimised ones. A benchmark, not a
/// test: figures depend on the machine and on what else runs on it.
/// </summary>
public sealed class Benchmark(BenchSettings settings, IProgress<string>? stage = null, IProgress<BenchFigure>? measured = null)
{
    private readonly List<BenchFigure> _figures = [];

    public BenchReport Run(BenchData data)
    {
        TorchRuntime.EnsureLoaded();
        torch.set_num_threads(Environment.ProcessorCount);
        var configs = settings.Archs.Distinct().Select(a => ResNetConfig.Of(a, ResNetFlavour.Torchvision, zeroInitLast: false, HeadKind.Fastai, data.Classes.Count)).ToArray();
        foreach (var config in configs)
            MeasureModel(config, named: configs.Length > 1 || config.Arch != ResNetArch.ResNet18);
        MeasureLoader(data);
        MeasureExports(configs[0], data);
        return new BenchReport(CpuFeatures.ModelName, Environment.ProcessorCount, CpuFeatures.HasNativeBf16, settings, _figures);
    }

    private void Add(string group, string name, double rate, string note = "")
    {
        double baseline = _figures.FirstOrDefault(f => f.Group == group)?.ImagesPerSecond ?? rate;
        var figure = new BenchFigure(group, name, rate, rate / baseline, note);
        _figures.Add(figure);
        measured?.Report(figure);
    }

    /// <summary>The trainer's step and eval-mode inference, in every memory format and precision, on random data.</summary>
    private void MeasureModel(ResNetConfig config, bool named)
    {
        var (b, s) = (settings.Batch, settings.ImageSize);
        string training = named ? $"training {config.Arch.Name()}" : "training", inference = named ? $"inference {config.Arch.Name()}" : "inference";
        stage?.Report($"{training}: {config.Arch} ({config.Head} head), {s} px, batch {b}, {settings.Steps} timed steps each, random data");
        foreach (var setting in Throughput.Settings)
            Add(training, setting.Name, Throughput.Training(config, setting, b, s, warmupSteps: 2, steps: settings.Steps));
        foreach (var setting in Throughput.Settings)
            Add(inference, $"TorchSharp eval, {setting.Name} (batch {b})", Throughput.Inference(config, setting, b, s, 1, 4), "random data");
    }

    /// <summary>
    /// The loader from the decoded train cache, per train transform: the CPU one image costs on one thread (process
    /// CPU time, best of 3 passes, so other work on the machine does not inflate it) and the rate of batches with 2
    /// workers, timed on the second pass, when the memory-mapped cache is paged in as later epochs see it.
    /// </summary>
    private void MeasureLoader(BenchData data)
    {
        var (side, size, batch) = (settings.ResizeSide, settings.ImageSize, settings.Batch);
        stage?.Report($"loader: decoded cache (train, short side {side}) → batches of {batch}, 2 workers");
        using var cache = DecodedImageCache.BuildOrOpen(data.Train, side, data.DatasetFingerprint);
        foreach (IImageTransform transform in new IImageTransform[] { new ResizeThenRandomCrop(size), new RandomResizedCrop(size) })
        {
            var pixels = new byte[3 * size * size];
            double best = double.MaxValue;
            for (int pass = 0; pass < 3; pass++)
            {
                var rng = new Random(pass);
                var before = Process.GetCurrentProcess().TotalProcessorTime;
                for (int i = 0; i < settings.LoaderImages; i++)
                    transform.Apply(cache.Get(i % cache.Count), rng, pixels);
                best = Math.Min(best, (Process.GetCurrentProcess().TotalProcessorTime - before).TotalMicroseconds / settings.LoaderImages);
            }

            double rate = 0;
            for (int epoch = 0; epoch < 2; epoch++)
            {
                using var loader = new BatchLoader(cache, transform, batch, shuffle: true, seed: 0, epoch, dropLast: true);
                var clock = Stopwatch.StartNew();
                long loaded = loader.Take(settings.LoaderBatches).Sum(x => (long)x.Count);
                rate = loaded / clock.Elapsed.TotalSeconds;
            }
            Add("loader", $"{transform.GetType().Name}, 2 workers", rate, $"{best:F0} µs CPU per image ({1e6 / best:F0} images/s per core)");
        }
    }

    /// <summary>
    /// Batched inference of the exports (ONNX Runtime float32 and int8) and the ML.NET pipeline on real val images:
    /// naive (BatchNorm unfolded, ONNX Runtime's default threads), then this project's defaults (folded, one intra-op
    /// thread per ML.NET cursor), then the int8 export. All exports are of the same random-init model.
    /// </summary>
    private void MeasureExports(ResNetConfig config, BenchData data)
    {
        var (side, batch) = (settings.ResizeSide, settings.Batch);
        stage?.Report($"exports: {config.Arch}, batch {batch}, {data.Val.Count} val images at {side} → crop {settings.ImageSize}");
        string folder = Directory.CreateTempSubdirectory("pipeline-bench-").FullName;
        try
        {
            var spec = new RunSpec { Name = "bench", Arch = config.Arch, Flavour = config.Flavour, ZeroInitLast = config.ZeroInitLast, Head = config.Head,
                RecipeName = Recipe.Sgd.Name, ImageSize = settings.ImageSize, Epochs = 1, Seed = 0 };
            var metadata = RunExport.MetadataFor(spec, summary: null, data.Classes);
            string unfolded = Path.Combine(folder, "unfolded.onnx"), folded = Path.Combine(folder, "folded.onnx"), int8 = Path.Combine(folder, "int8.onnx");
            torch.manual_seed(0);
            using (var model = ResNet.Create(config))
            {
                model.eval();
                OnnxExporter.Export(model, metadata, unfolded, new OnnxExportOptions { WriteModelCard = false, FoldBatchNorm = false });
                OnnxExporter.Export(model, metadata, folded, new OnnxExportOptions { WriteModelCard = false });
                var calibration = RunExport.CalibrationImages(data.Train.FirstPerClass(8), side, data.DatasetFingerprint);
                OnnxExporter.Export(model, metadata, int8, new OnnxExportOptions { WriteModelCard = false, Int8 = calibration });
            }
            Add("exports", $"ONNX Runtime direct, fp32 folded (batch {batch})", OnnxValidator.Validate(folded, data.Val, data.ValSet.ClassIds, data.ValSet.Name, data.DatasetFingerprint, batch).ImagesPerSecond, "decoded cache");
            Add("exports", $"ONNX Runtime direct, int8 (batch {batch})", OnnxValidator.Validate(int8, data.Val, data.ValSet.ClassIds, data.ValSet.Name, data.DatasetFingerprint, batch).ImagesPerSecond, "decoded cache");

            stage?.Report("ML.NET pipeline: LoadImages → ResizeImages → ExtractPixels → ApplyOnnxModel, one image per row, JPEG decoding included");
            double MlNet(string model, OnnxThreading threading) =>
                new ModelEvaluator(new EvaluationOptions { Device = ComputeDevice.Cpu, Threading = threading }).Evaluate(new ModelToEvaluate(model), data.ValSet).ImagesPerSecond;
            Add("ML.NET pipeline", "naive: BatchNorm unfolded, ONNX Runtime default threads", MlNet(unfolded, new OnnxThreading()), "baseline");
            var tuned = new EvaluationOptions().Threading;
            Add("ML.NET pipeline", "fp32 folded, 1 ONNX Runtime thread per cursor (default)", MlNet(folded, tuned));
            Add("ML.NET pipeline", "int8 (pipeline export --int8), 1 thread per cursor", MlNet(int8, tuned));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
