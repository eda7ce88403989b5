using System.Diagnostics;
using System.Security.Cryptography;
using Pipeline.Data;
using Pipeline.Experiments;
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

    /// <summary>Probe images per class for <see cref="DynamicsProbe"/>: 40 on Imagenette, a fraction of a percent of training time.</summary>
    internal const int ProbeImagesPerClass = 4;

    public RunSummary Run(RunSpec spec, CancellationToken cancellation = default)
    {
        spec.ThrowIfInvalid($"run '{spec.Name}'");
        var requested = spec;
        spec = spec.ForThisMachine();
        TorchRuntime.EnsureLoaded();
        var folder = FolderFor(spec);
        string specJson = spec.ToJson();
        PrepareFolder(folder, requested, spec);
        if (folder.IsFinished)
            return folder.ReadSummary();

        var recipe = spec.Recipe;
        torch.set_num_threads(spec.Threads ?? Environment.ProcessorCount);
        Report(spec, TrainingPhase.Preparing, 0, 0, 0, 0, message: "indexing and caching images");
        using var data = TrainingData.Open(spec, cancellation);
        foreach (string warning in data.Warnings)
            Report(spec, TrainingPhase.Preparing, 0, 0, 0, 0, message: $"data warning: {warning}");

        torch.manual_seed(spec.Seed);
        using var model = ResNet.Create(spec.ModelConfig);
        if (spec.ChannelsLast)
            MemoryFormat.ToChannelsLast(model);
        using var optimizer = OptimizerFactory.Create(model, recipe);
        using var mixed = spec.Precision == Precision.Bf16 ? new MixedPrecision(model, spec.ChannelsLast) : null;

        var (mean, std) = recipe.MeanStd;
        using var meanT = tensor(mean, [1, 3, 1, 1]);
        using var stdT = tensor(std, [1, 3, 1, 1]);
        Tensor Prepare(Batch batch)
        {
            var x = tensor(batch.Pixels.AsSpan(0, batch.Count * 3 * batch.Size * batch.Size).ToArray(),
                new long[] { batch.Count, 3, batch.Size, batch.Size }).to(ScalarType.Float32).div_(PinnedScalars.ByteMax);
            if (recipe.Normalization != InputNormalization.None)
                x = x.sub_(meanT).div_(stdT);
            return spec.ChannelsLast ? MemoryFormat.ChannelsLast(x) : x;
        }

        long stepsPerEpoch = data.StepsPerEpoch(spec);
        var schedule = new LearningRateSchedule(recipe, stepsPerEpoch * spec.Epochs);
        Tensor probeInput;
        using (NewDisposeScope()) // holds Prepare's intermediates until the input is made, as the training loop's scope does
            probeInput = Prepare(data.ProbeBatch(spec, ProbeImagesPerClass)).DetachFromDisposeScope();
        using var probe = new DynamicsProbe(model, probeInput, stepsPerEpoch);
        var history = new List<EpochMetrics>();
        var dynamics = new List<DynamicsRecord>();
        int startEpoch = 0;
        if (File.Exists(folder.CheckpointFile))
        {
            var header = Checkpoint.Load(folder.CheckpointFile, model, optimizer);
            if (!spec.IsDefinedBy(header.SpecJson))
                throw new RunSpecException($"{folder.CheckpointFile} belongs to a different run definition. Delete the run folder {folder.Path} or give the run another name.");
            // The checkpoint's history lacks only the write time of its own last epoch; metrics.jsonl, written after it, has it.
            var written = folder.ReadMetrics().ToDictionary(m => m.Epoch, m => m.CheckpointSeconds);
            history.AddRange(header.History.Select(h => h with { CheckpointSeconds = h.CheckpointSeconds ?? written.GetValueOrDefault(h.Epoch) }));
            dynamics.AddRange(header.Dynamics ?? []);
            startEpoch = header.EpochsDone;
            Report(spec, TrainingPhase.Preparing, startEpoch, 0, 0, 0, message: $"resuming after epoch {startEpoch}");
        }

        for (int epoch = startEpoch; epoch < spec.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            probe.Clock.Reset();
            if (epoch == 0)
                dynamics.Add(probe.Read(0)); // at initialisation
            var trained = TrainEpoch(spec, model, mixed, optimizer, data, schedule, probe, dynamics, epoch, stepsPerEpoch, Prepare, folder, cancellation);
            double trainSeconds = clock.Elapsed.TotalSeconds - probe.Clock.Elapsed.TotalSeconds;

            var validationClock = Stopwatch.StartNew();
            var validation = spec.ValidatesAfter(epoch + 1) ? Score(spec, model, mixed, data.ValLoader, data.ValSteps(spec), epoch, Prepare, cancellation) : default;
            double valSeconds = validation.Images > 0 ? validationClock.Elapsed.TotalSeconds : 0;
            ThrowIfNotFinite(spec, folder, epoch, ("validation loss", validation.Loss));

            dynamics.Add(probe.Read((epoch + 1) * stepsPerEpoch));
            long liveTensors = LiveTensors(); // first: it collects garbage, so the memory figures below are after it
            var metrics = new EpochMetrics(epoch + 1, trained.Loss,
                validation.Images > 0 ? validation.Loss : null, validation.Images > 0 ? validation.Top1 : null, validation.Images > 0 ? validation.Top5 : null,
                trained.LastLr, 0, trained.Images / trainSeconds, ProcessMemory.PeakResidentMiB(), ProcessMemory.AnonymousResidentMiB(), liveTensors)
            {
                TrainSeconds = trainSeconds,
                ValSeconds = valSeconds,
                ProbeSeconds = probe.Clock.Elapsed.TotalSeconds,
                ValImagesPerSecond = validation.Images > 0 ? validation.Images / valSeconds : null,
                Version = ProjectVersion.Current,
            };
            history.Add(metrics with { WallSeconds = clock.Elapsed.TotalSeconds });

            // Checkpoint first, then the metrics file it implies: a crash in between leaves a
            // checkpoint whose header still holds the full history.
            var checkpointClock = Stopwatch.StartNew();
            Checkpoint.Save(folder.CheckpointFile, new Checkpoint.Header(specJson, epoch + 1, (epoch + 1) * stepsPerEpoch, history, data.Fingerprint, dynamics), model, optimizer);
            history[^1] = metrics with { WallSeconds = clock.Elapsed.TotalSeconds, CheckpointSeconds = checkpointClock.Elapsed.TotalSeconds };
            folder.WriteProgress(history, dynamics);
            string validated = validation.Images > 0
                ? $"val loss {validation.Loss:F4}, top-1 {validation.Top1:P2}, top-5 {validation.Top5:P2}"
                : $"not validated (every {spec.ValidateEvery} epochs)";
            Report(spec, TrainingPhase.Validating, epoch + 1, stepsPerEpoch, stepsPerEpoch, validation.Loss,
                message: $"epoch {epoch + 1}/{spec.Epochs}: train loss {trained.Loss:F4}, {validated}, {metrics.TrainImagesPerSecond:F1} img/s");
        }

        var memorised = Score(spec, model, mixed, data.TrainEvalLoader, data.TrainEvalSteps(spec), spec.Epochs - 1, Prepare, cancellation);
        return Finish(spec, folder, model, history, data.Fingerprint, memorised);
    }

    private readonly record struct EpochTraining(double Loss, long Images, double LastLr);

    private EpochTraining TrainEpoch(
        RunSpec spec, ResNet model, MixedPrecision? mixed, optim.Optimizer optimizer, TrainingData data, LearningRateSchedule schedule,
        DynamicsProbe probe, List<DynamicsRecord> dynamics, int epoch, long stepsPerEpoch, Func<Batch, Tensor> prepare, RunFolder folder,
        CancellationToken cancellation)
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
            ThrowIfNotFinite(spec, folder, epoch, ("training loss", value), $", step {stepIndex + 1} (lr {lr:G3})");
            lossSum += value * batch.Count;
            images += batch.Count;
            stepIndex++;
            if (probe.WantsGradients(epoch, stepIndex))
                probe.AddGradients();
            if (probe.IsPoint(epoch, stepIndex))
                dynamics.Add(probe.Read(epoch * stepsPerEpoch + stepIndex));
            double rate = images / clock.Elapsed.TotalSeconds;
            double remainingImages = (stepsPerEpoch - stepIndex + (spec.Epochs - epoch - 1) * stepsPerEpoch) * recipe.BatchSize;
            Report(spec, TrainingPhase.Training, epoch + 1, stepIndex, stepsPerEpoch, lossSum / images, rate,
                TimeSpan.FromSeconds(remainingImages / Math.Max(rate, 1e-9) * (1 + data.ValidationShare / spec.ValidateEvery)));
        }
        return new EpochTraining(lossSum / Math.Max(images, 1), images, lr);
    }

    private readonly record struct Validation(double Loss, double Top1, double Top5, long Images);

    /// <summary>
    /// Loss and top-1/top-5 over a split (val after an epoch; train, centre-cropped, at the end), in eval mode and in the
    /// training precision (bf16 on the compute copy when training is bf16).
    /// </summary>
    private Validation Score(
        RunSpec spec, ResNet model, MixedPrecision? mixed, Func<RunSpec, BatchLoader> split, long steps, int epoch, Func<Batch, Tensor> prepare, CancellationToken cancellation)
    {
        model.eval();
        var evaluated = mixed?.EvalCopy() ?? model;
        double lossSum = 0;
        long correct1 = 0, correct5 = 0, count = 0, step = 0;
        using var noGrad = no_grad();
        using var loader = split(spec);
        foreach (var batch in loader)
        {
            cancellation.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var x = prepare(batch);
            var logits = mixed is null ? evaluated.forward(x) : evaluated.forward(x.to(MixedPrecision.ComputeType)).to(ScalarType.Float32);
            var y = tensor(batch.Labels.AsSpan(0, batch.Count).ToArray(), ScalarType.Int64);
            lossSum += nn.functional.cross_entropy(logits, y, reduction: nn.Reduction.Sum).item<float>();
            var top = logits.topk(Math.Min(5, (int)logits.shape[1])).indexes;
            var hits = top.eq(y.unsqueeze(1));
            correct1 += hits.select(1, 0).sum().item<long>();
            correct5 += hits.any(1).sum().item<long>();
            count += batch.Count;
            Report(spec, TrainingPhase.Validating, epoch + 1, ++step, steps, lossSum / count, 0, TimeSpan.Zero);
        }
        return new Validation(lossSum / count, (double)correct1 / count, (double)correct5 / count, count);
    }

    /// <summary>Stops a diverged run before anything of the bad epoch is written, naming the checkpoint that stays.</summary>
    internal static void ThrowIfNotFinite(RunSpec spec, RunFolder folder, int epoch, (string Name, double Value) measured, string where = "")
    {
        if (double.IsFinite(measured.Value))
            return;
        string kept = epoch == 0 || !File.Exists(folder.CheckpointFile)
            ? "No checkpoint is kept: the run starts over when run again."
            : $"The last good checkpoint, after epoch {epoch} ({folder.CheckpointFile}), is kept.";
        throw new TrainingDivergedException(
            $"Run '{spec.Name}': the {measured.Name} became {measured.Value} at epoch {epoch + 1}{where}. Training stopped. {kept} " +
            "Lower the recipe's lrMax or check the data, then run again.");
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

    private RunSummary Finish(RunSpec spec, RunFolder folder, ResNet model, List<EpochMetrics> history, string fingerprint, Validation memorised)
    {
        Weights.Save(folder.ModelFile, model);
        string sha;
        using (var file = File.OpenRead(folder.ModelFile))
            sha = Convert.ToHexStringLower(SHA256.HashData(file));
        var last = history[^1];
        var summary = new RunSummary(spec.Name, spec.Epochs, last.ValTop1!.Value, last.ValTop5!.Value, history.Max(h => h.ValTop1)!.Value,
            history.Sum(h => h.WallSeconds), history.Average(h => h.TrainImagesPerSecond), fingerprint, sha)
        {
            TrainSeconds = history.Sum(h => h.TrainSeconds),
            Version = ProjectVersion.Current,
            TrainEvalTop1 = memorised.Top1,
            TrainEvalLoss = memorised.Loss,
            Cpu = CpuFeatures.ModelName,
        };
        folder.WriteSummary(spec, summary, history);
        Report(spec, TrainingPhase.Finished, spec.Epochs, 0, 0, last.ValLoss!.Value, message: $"final val top-1 {last.ValTop1:P2}");
        return summary;
    }

    /// <param name="requested">The spec as given, before <see cref="Precision.Auto"/> was decided for this machine.</param>
    private static void PrepareFolder(RunFolder folder, RunSpec requested, RunSpec spec)
    {
        Directory.CreateDirectory(folder.Path);
        if (File.Exists(folder.SpecFile))
        {
            string recorded = File.ReadAllText(folder.SpecFile);
            if (!spec.IsDefinedBy(recorded))
            {
                if (OtherPrecision(spec.Precision) is { } started && (spec with { Precision = started }).IsDefinedBy(recorded))
                    throw PrecisionChange(folder, requested, spec.Precision, started);
                throw new RunSpecException(
                    $"{folder.Path} already holds a run with a different definition ({folder.SpecFile}). " +
                    "Give this run another name, or delete that folder to start over.");
            }
        }
        folder.WriteSpec(spec);
    }

    private static Precision? OtherPrecision(Precision p) => p switch
    {
        Precision.Bf16 => Precision.Fp32,
        Precision.Fp32 => Precision.Bf16,
        _ => null,
    };

    /// <summary>
    /// The run was started in the other precision (on a machine where auto meant it, or asked for explicitly): its epochs
    /// are good and a run cannot change precision midway, so the way on is its own precision, never deleting it.
    /// </summary>
    private static RunSpecException PrecisionChange(RunFolder folder, RunSpec requested, Precision now, Precision started)
    {
        string why = requested.Precision == Precision.Auto ? $"here precision {CpuFeatures.AutoPrecisionChoice}" : $"it is asked for in {now.Name()} now";
        string slow = started == Precision.Bf16 && !CpuFeatures.HasNativeBf16 ? " (about 20x slower than fp32 on this CPU)" : "";
        string elsewhere = requested.Precision == Precision.Auto ? $"go on with it on a machine where auto gives {started.Name()}, or " : "";
        return new RunSpecException(
            $"{folder.Path} holds this run, started in {started.Name()} ({folder.SpecFile}), but {why}, and a run cannot change precision midway. " +
            $"Its epochs are kept: {elsewhere}set the precision to {started.Name()} (--precision {started.Name()}, or \"precision\": \"{started.Name()}\" in the file) to go on with it here{slow}.");
    }

    private void Report(RunSpec spec, TrainingPhase phase, int epoch, long step, long steps, double loss,
        double rate = 0, TimeSpan remaining = default, string? message = null) =>
        progress?.Report(new TrainingProgress(spec.Name, phase, epoch, spec.Epochs, step, steps, loss, rate, remaining, message));
}
