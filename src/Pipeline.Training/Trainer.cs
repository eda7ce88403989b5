using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Pipeline.Data;
using Pipeline.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Training;

/// <summary>
/// Trains one run described by a <see cref="RunSpec"/> into its run folder, epoch by epoch, with a
/// checkpoint after each; an interrupted run continues from its last checkpoint and ends where an
/// uninterrupted one would.
/// </summary>
public sealed class Trainer(string runsRoot, IProgress<TrainingProgress>? progress = null)
{
    public RunFolder FolderFor(RunSpec spec) => new(Path.Combine(runsRoot, spec.Name));

    public RunSummary Run(RunSpec spec, CancellationToken cancellation = default)
    {
        spec.ThrowIfInvalid($"run '{spec.Name}'");
        spec = spec.ForThisMachine();
        TorchRuntime.EnsureLoaded();
        var folder = FolderFor(spec);
        string specJson = spec.ToJson();
        PrepareFolder(folder, specJson);
        if (folder.IsFinished)
            return folder.ReadSummary();

        var recipe = spec.Recipe;
        torch.set_num_threads(spec.Threads ?? Environment.ProcessorCount);
        Report(spec, TrainingPhase.Preparing, 0, 0, 0, 0, message: "indexing and caching images");
        using var data = TrainingData.Open(spec, cancellation);

        torch.manual_seed(spec.Seed);
        using var model = ResNet18.Create(spec.ModelConfig);
        if (spec.ChannelsLast)
            MemoryFormat.ToChannelsLast(model);
        using var optimizer = OptimizerFactory.Create(model, recipe);
        using var mixed = spec.Precision == Precision.Bf16 ? new MixedPrecision(model, spec.ChannelsLast) : null;

        long stepsPerEpoch = data.StepsPerEpoch(spec);
        var schedule = new OneCycleSchedule(recipe, stepsPerEpoch * spec.Epochs);
        var history = new List<EpochMetrics>();
        int startEpoch = 0;
        if (File.Exists(folder.CheckpointFile))
        {
            var header = Checkpoint.Load(folder.CheckpointFile, model, optimizer);
            if (header.SpecJson != specJson)
                throw new RunSpecException($"{folder.CheckpointFile} belongs to a different run definition. Delete the run folder {folder.Path} or give the run another name.");
            history.AddRange(header.History);
            startEpoch = header.EpochsDone;
            Report(spec, TrainingPhase.Preparing, startEpoch, 0, 0, 0, message: $"resuming after epoch {startEpoch}");
        }

        var (mean, std) = recipe.MeanStd;
        using var meanT = tensor(mean).view(1, 3, 1, 1);
        using var stdT = tensor(std).view(1, 3, 1, 1);
        Tensor Prepare(Batch batch)
        {
            var x = tensor(batch.Pixels.AsSpan(0, batch.Count * 3 * batch.Size * batch.Size).ToArray(),
                new long[] { batch.Count, 3, batch.Size, batch.Size }).to(ScalarType.Float32).div_(255f);
            if (recipe.Normalization != InputNormalization.None)
                x = x.sub_(meanT).div_(stdT);
            return spec.ChannelsLast ? MemoryFormat.ChannelsLast(x) : x;
        }

        for (int epoch = startEpoch; epoch < spec.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            var (trainLoss, imagesPerSecond, lastLr) = TrainEpoch(spec, model, mixed, optimizer, data, schedule, epoch, stepsPerEpoch, Prepare, cancellation);
            var (valLoss, top1, top5) = Validate(spec, model, data, epoch, Prepare, cancellation);
            long liveTensors = LiveTensors(); // first: it collects garbage, so the memory figures below are after it
            var metrics = new EpochMetrics(epoch + 1, trainLoss, valLoss, top1, top5, lastLr,
                clock.Elapsed.TotalSeconds, imagesPerSecond, ProcessMemory.PeakResidentMiB(), ProcessMemory.AnonymousResidentMiB(), liveTensors);
            history.Add(metrics);

            // Checkpoint first, then the metrics file it implies: a crash in between leaves a
            // checkpoint whose header still holds the full history.
            Checkpoint.Save(folder.CheckpointFile, new Checkpoint.Header(specJson, epoch + 1, (epoch + 1) * stepsPerEpoch, history, data.Fingerprint), model, optimizer);
            RunFolder.WriteAtomically(folder.MetricsFile, string.Concat(history.Select(h => JsonSerializer.Serialize(h) + "\n")));
            Report(spec, TrainingPhase.Validating, epoch + 1, stepsPerEpoch, stepsPerEpoch, valLoss,
                message: $"epoch {epoch + 1}/{spec.Epochs}: train loss {trainLoss:F4}, val loss {valLoss:F4}, top-1 {top1:P2}, top-5 {top5:P2}, {imagesPerSecond:F1} img/s");
        }

        return Finish(spec, folder, model, history, data.Fingerprint);
    }

    private (double Loss, double ImagesPerSecond, double LastLr) TrainEpoch(
        RunSpec spec, ResNet18 model, MixedPrecision? mixed, optim.Optimizer optimizer, TrainingData data, OneCycleSchedule schedule,
        int epoch, long stepsPerEpoch, Func<Batch, Tensor> prepare, CancellationToken cancellation)
    {
        var recipe = spec.Recipe;
        model.train();
        double lossSum = 0, lr = 0;
        long images = 0, stepIndex = 0;
        var step = new TrainingStep(model, optimizer, mixed, recipe.LabelSmoothing);
        var clock = Stopwatch.StartNew();
        using var loader = data.TrainLoader(spec, epoch);
        foreach (var batch in loader)
        {
            if (stepIndex == stepsPerEpoch)
                break;
            cancellation.ThrowIfCancellationRequested();
            (lr, double momentum) = schedule.At(epoch * stepsPerEpoch + stepIndex);
            OptimizerFactory.SetHyperParameters(optimizer, lr, momentum);

            using var scope = NewDisposeScope();
            var x = prepare(batch);
            var y = tensor(batch.Labels.AsSpan(0, batch.Count).ToArray(), ScalarType.Int64);
            double value = step.Run(x, y);
            if (!double.IsFinite(value))
                throw new TrainingDivergedException(
                    $"Run '{spec.Name}': the loss became {value} at epoch {epoch + 1}, step {stepIndex + 1} (lr {lr:G3}). " +
                    $"Training stopped; the last good checkpoint (after epoch {epoch}) is kept. Lower the recipe's lrMax or check the data, then run again.");
            lossSum += value * batch.Count;
            images += batch.Count;
            stepIndex++;
            double rate = images / clock.Elapsed.TotalSeconds;
            double remainingImages = (stepsPerEpoch - stepIndex + (spec.Epochs - epoch - 1) * stepsPerEpoch) * recipe.BatchSize;
            Report(spec, TrainingPhase.Training, epoch + 1, stepIndex, stepsPerEpoch, lossSum / images, rate,
                TimeSpan.FromSeconds(remainingImages / Math.Max(rate, 1e-9) * (1 + data.ValidationShare)));
        }
        return (lossSum / Math.Max(images, 1), images / clock.Elapsed.TotalSeconds, lr);
    }

    private (double Loss, double Top1, double Top5) Validate(
        RunSpec spec, ResNet18 model, TrainingData data, int epoch, Func<Batch, Tensor> prepare, CancellationToken cancellation)
    {
        model.eval();
        double lossSum = 0;
        long correct1 = 0, correct5 = 0, count = 0, step = 0;
        using var noGrad = no_grad();
        using var loader = data.ValLoader(spec);
        foreach (var batch in loader)
        {
            cancellation.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var logits = model.forward(prepare(batch));
            var y = tensor(batch.Labels.AsSpan(0, batch.Count).ToArray(), ScalarType.Int64);
            lossSum += nn.functional.cross_entropy(logits, y, reduction: nn.Reduction.Sum).item<float>();
            var top = logits.topk(Math.Min(5, (int)logits.shape[1])).indexes;
            var hits = top.eq(y.unsqueeze(1));
            correct1 += hits.select(1, 0).sum().item<long>();
            correct5 += hits.any(1).sum().item<long>();
            count += batch.Count;
            Report(spec, TrainingPhase.Validating, epoch + 1, ++step, data.ValSteps(spec), lossSum / count, 0, TimeSpan.Zero);
        }
        return (lossSum / count, (double)correct1 / count, (double)correct5 / count);
    }

    /// <summary>
    /// Tensors still referenced: wrappers nobody holds any more (the optimizer's state_dict views that checkpointing
    /// reads, say) are finalized first, so the count moves only when something really keeps tensors alive.
    /// </summary>
    private static long LiveTensors()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return Tensor.TotalCount;
    }

    private RunSummary Finish(RunSpec spec, RunFolder folder, ResNet18 model, List<EpochMetrics> history, string fingerprint)
    {
        RunFolder.SaveWeights(folder.ModelFile, model);
        string sha;
        using (var file = File.OpenRead(folder.ModelFile))
            sha = Convert.ToHexStringLower(SHA256.HashData(file));
        var last = history[^1];
        var summary = new RunSummary(spec.Name, spec.Epochs, last.ValTop1, last.ValTop5, history.Max(h => h.ValTop1),
            history.Sum(h => h.WallSeconds), history.Average(h => h.TrainImagesPerSecond), fingerprint, sha);
        RunFolder.WriteAtomically(folder.SummaryMarkdown, SummaryMarkdown(spec, summary, history));
        RunFolder.WriteAtomically(folder.SummaryJson, JsonSerializer.Serialize(summary, RunSpec.Json));
        Report(spec, TrainingPhase.Finished, spec.Epochs, 0, 0, last.ValLoss, message: $"final val top-1 {last.ValTop1:P2}");
        return summary;
    }

    private static string SummaryMarkdown(RunSpec spec, RunSummary summary, IReadOnlyList<EpochMetrics> history)
    {
        var lines = new List<string>
        {
            $"# Run {spec.Name}",
            "",
            $"ResNet18, {spec.Flavour} flavour, zero-init last BN γ: {spec.EffectiveZeroInitLast}, {spec.Head} head; " +
            $"recipe {spec.Recipe.Name}, {spec.ImageSize} px, {spec.Epochs} epochs, seed {spec.Seed}, {spec.Precision.ToString().ToLowerInvariant()}, channels-last {spec.ChannelsLast}.",
            "",
            $"Final val top-1 **{summary.FinalValTop1:P2}** (top-5 {summary.FinalValTop5:P2}), " +
            $"{summary.WallSeconds / 60:F1} min, {summary.MeanTrainImagesPerSecond:F1} train images/s.",
            "",
            "| epoch | train loss | val loss | val top-1 | val top-5 | lr (end) | wall s | img/s | peak RSS MiB | heap RSS MiB | live tensors |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        };
        lines.AddRange(history.Select(h =>
            $"| {h.Epoch} | {h.TrainLoss:F4} | {h.ValLoss:F4} | {h.ValTop1:P2} | {h.ValTop5:P2} | {h.LearningRate:G3} | {h.WallSeconds:F0} | {h.TrainImagesPerSecond:F1} | {h.PeakRssMiB:F0} | {h.AnonRssMiB:F0} | {h.LiveTensors} |"));
        return string.Join("\n", lines) + "\n";
    }

    private static void PrepareFolder(RunFolder folder, string specJson)
    {
        Directory.CreateDirectory(folder.Path);
        if (File.Exists(folder.SpecFile) && File.ReadAllText(folder.SpecFile) != specJson)
            throw new RunSpecException(
                $"{folder.Path} already holds a run with a different definition ({folder.SpecFile}). " +
                "Give this run another name, or delete that folder to start over.");
        RunFolder.WriteAtomically(folder.SpecFile, specJson);
    }

    private void Report(RunSpec spec, TrainingPhase phase, int epoch, long step, long steps, double loss,
        double rate = 0, TimeSpan remaining = default, string? message = null) =>
        progress?.Report(new TrainingProgress(spec.Name, phase, epoch, spec.Epochs, step, steps, loss, rate, remaining, message));
}
