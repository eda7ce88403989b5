using System.Diagnostics;
using Pipeline.Data;
using Pipeline.Experiments;
using Pipeline.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Training;

/// <summary>What a run has logged so far: its epochs' metrics and the dynamics probe's readings; restored on resume.</summary>
internal sealed class RunLog
{
    public List<EpochMetrics> History { get; } = [];
    public List<DynamicsRecord> Dynamics { get; } = [];
    public int EpochsDone => History.Count;
}

/// <summary>The loss and accuracy of one pass over a split; <see cref="Images"/> is 0 when the split was not scored.</summary>
internal readonly record struct Scores(double Loss, double Top1, double Top5, long Images);

/// <summary>What an epoch's optimizer steps left: the mean training loss, the images seen, the last learning rate.</summary>
internal readonly record struct EpochTraining(double Loss, long Images, double LastLr);

/// <summary>
/// Everything one run trains with, built in the order that fixes its random numbers (the data, then the seeded model,
/// channels-last, its optimizer, the bf16 compute copy, the schedule and the dynamics probe), and the three things an
/// epoch does with them: train, score a split, checkpoint. <see cref="Trainer.Run"/> drives it.
/// </summary>
internal sealed class TrainingSession : IDisposable
{
    private readonly TrainingData _data;
    private readonly optim.Optimizer _optimizer;
    private readonly MixedPrecision? _mixed;
    private readonly LearningRateSchedule _schedule;
    private readonly Tensor _mean;
    private readonly Tensor _std;
    private readonly TrainingReporter _report;
    private readonly CancellationToken _cancellation;

    public RunSpec Spec { get; }
    public RunFolder Folder { get; }
    public ResNet Model { get; }
    public DynamicsProbe Probe { get; }
    public long StepsPerEpoch { get; }
    public string DatasetFingerprint => _data.Fingerprint;

    /// <summary>The classes the model's outputs mean, in output order.</summary>
    public IReadOnlyList<RunClass> Classes => _data.Classes.Select(c => new RunClass(c.Id, c.Name)).ToArray();

    /// <summary>Probe images per class for <see cref="DynamicsProbe"/>: 40 on Imagenette, a fraction of a percent of training time.</summary>
    internal const int ProbeImagesPerClass = 4;

    private TrainingSession(RunSpec spec, RunFolder folder, TrainingReporter report, CancellationToken cancellation)
    {
        (Spec, Folder, _report, _cancellation) = (spec, folder, report, cancellation);
        torch.set_num_threads(spec.Threads ?? Environment.ProcessorCount);
        report.Preparing(0, "indexing and caching images");
        _data = TrainingData.Open(spec, cancellation);
        foreach (string warning in _data.Warnings)
            report.Preparing(0, $"data warning: {warning}");

        torch.manual_seed(spec.Seed);
        Model = ResNet.Create(spec.ModelFor(_data.Classes.Count));
        if (spec.InitWeights is { } weights)
        {
            int loaded = PretrainedWeights.Load(Model, weights, spec.NewHead);
            report.Preparing(0, $"initialised from {weights} ({loaded} tensors{(spec.NewHead ? ", new head" : "")}, SHA-256 {spec.InitWeightsSha256})");
        }
        if (spec.ChannelsLast)
            MemoryFormat.ToChannelsLast(Model);
        _optimizer = OptimizerFactory.Create(Model, spec.Recipe);
        _mixed = spec.Precision == Precision.Bf16 ? new MixedPrecision(Model, spec.ChannelsLast) : null;
        var (mean, std) = spec.Recipe.MeanStd;
        _mean = tensor(mean, [1, 3, 1, 1]);
        _std = tensor(std, [1, 3, 1, 1]);
        StepsPerEpoch = _data.StepsPerEpoch(spec);
        _schedule = new LearningRateSchedule(spec.Recipe, StepsPerEpoch * spec.Epochs);
        Tensor probeInput;
        using (NewDisposeScope()) // holds Prepare's intermediates until the input is made, as the training loop's scope does
            probeInput = Prepare(_data.ProbeBatch(spec, ProbeImagesPerClass)).DetachFromDisposeScope();
        Probe = new DynamicsProbe(Model, probeInput, StepsPerEpoch);
    }

    public static TrainingSession Open(RunSpec spec, RunFolder folder, TrainingReporter report, CancellationToken cancellation) =>
        new(spec, folder, report, cancellation);

    /// <summary>The log so far: empty for a new run, the checkpoint's (weights, optimizer and RNG restored) for an interrupted one.</summary>
    public RunLog Resume()
    {
        var log = new RunLog();
        if (!File.Exists(Folder.CheckpointFile))
            return log;
        var header = Training.Checkpoint.Load(Folder.CheckpointFile, Model, _optimizer);
        if (!Spec.IsDefinedBy(header.SpecJson))
            throw new RunSpecException($"{Folder.CheckpointFile} belongs to a different run definition. Delete the run folder {Folder.Path} or give the run another name.");
        // The checkpoint's history lacks only the write time of its own last epoch; metrics.jsonl, written after it, has it.
        var written = Folder.ReadMetrics().ToDictionary(m => m.Epoch, m => m.CheckpointSeconds);
        log.History.AddRange(header.History.Select(h => h with { CheckpointSeconds = h.CheckpointSeconds ?? written.GetValueOrDefault(h.Epoch) }));
        log.Dynamics.AddRange(header.Dynamics ?? []);
        _report.Preparing(header.EpochsDone, $"resuming after epoch {header.EpochsDone}");
        if (RunCpus.ResumeWarning(log.History, CpuFeatures.ModelName) is { } warning)
            _report.Preparing(header.EpochsDone, warning);
        return log;
    }

    /// <summary>Pixels to the model's input: float in 0..1, normalised if the recipe does, channels-last if the run is.</summary>
    private Tensor Prepare(Batch batch)
    {
        var x = tensor(batch.Pixels.AsSpan(0, batch.Count * 3 * batch.Size * batch.Size).ToArray(),
            new long[] { batch.Count, 3, batch.Size, batch.Size }).to(ScalarType.Float32).div_(PinnedScalars.ByteMax);
        if (Spec.Recipe.Normalization != InputNormalization.None)
            x = x.sub_(_mean).div_(_std);
        return Spec.ChannelsLast ? MemoryFormat.ChannelsLast(x) : x;
    }

    /// <summary>One epoch of optimizer steps at the scheduled learning rate, the probe reading blocks and gradients where it wants to.</summary>
    public EpochTraining TrainEpoch(int epoch, List<DynamicsRecord> dynamics)
    {
        Model.train();
        double lossSum = 0, lr = 0;
        long images = 0, stepIndex = 0;
        var step = new TrainingStep(Model, _optimizer, _mixed, Spec.Recipe.LabelSmoothing);
        var clock = Stopwatch.StartNew();
        using var loader = _data.TrainLoader(Spec, epoch);
        foreach (var batch in loader)
        {
            if (stepIndex == StepsPerEpoch)
                break;
            _cancellation.ThrowIfCancellationRequested();
            (lr, double momentum) = _schedule.At(epoch * StepsPerEpoch + stepIndex);
            OptimizerFactory.SetHyperParameters(_optimizer, lr, momentum);

            using var scope = NewDisposeScope();
            var x = Prepare(batch);
            var y = tensor(batch.Labels.AsSpan(0, batch.Count).ToArray(), ScalarType.Int64);
            double value = step.Run(x, y);
            ThrowIfNotFinite(Spec, Folder, epoch, ("training loss", value), $", step {stepIndex + 1} (lr {lr:G3})");
            lossSum += value * batch.Count;
            images += batch.Count;
            stepIndex++;
            if (Probe.WantsGradients(epoch, stepIndex))
                Probe.AddGradients();
            if (Probe.IsPoint(epoch, stepIndex))
                dynamics.Add(Probe.Read(epoch * StepsPerEpoch + stepIndex));
            double rate = images / clock.Elapsed.TotalSeconds;
            double remainingImages = (StepsPerEpoch - stepIndex + (Spec.Epochs - epoch - 1) * StepsPerEpoch) * Spec.Recipe.BatchSize;
            _report.Training(epoch + 1, stepIndex, StepsPerEpoch, lossSum / images, rate,
                TimeSpan.FromSeconds(remainingImages / Math.Max(rate, 1e-9) * (1 + _data.ValidationShare / Spec.ValidateEvery)));
        }
        return new EpochTraining(lossSum / Math.Max(images, 1), images, lr);
    }

    /// <summary>The val split after epoch <paramref name="epoch"/> (0-based), when the run validates then; else no scores.</summary>
    public Scores Validate(int epoch)
    {
        if (!Spec.ValidatesAfter(epoch + 1))
            return default;
        var scores = Score(_data.ValLoader, _data.ValSteps(Spec), epoch);
        ThrowIfNotFinite(Spec, Folder, epoch, ("validation loss", scores.Loss));
        return scores;
    }

    /// <summary>The whole train split, centre-cropped as val is: how close the finished run came to memorising it.</summary>
    public Scores ScoreTrainSplit() => Score(_data.TrainEvalLoader, _data.TrainEvalSteps(Spec), Spec.Epochs - 1);

    /// <summary>
    /// Loss and top-1/top-5 over a split in eval mode, in the training precision (bf16 on the compute copy when
    /// training is bf16).
    /// </summary>
    private Scores Score(Func<RunSpec, BatchLoader> split, long steps, int epoch)
    {
        Model.eval();
        var evaluated = _mixed?.EvalCopy() ?? Model;
        double lossSum = 0;
        long correct1 = 0, correct5 = 0, count = 0, step = 0;
        using var noGrad = no_grad();
        using var loader = split(Spec);
        foreach (var batch in loader)
        {
            _cancellation.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var x = Prepare(batch);
            var logits = _mixed is null ? evaluated.forward(x) : evaluated.forward(x.to(MixedPrecision.ComputeType)).to(ScalarType.Float32);
            var y = tensor(batch.Labels.AsSpan(0, batch.Count).ToArray(), ScalarType.Int64);
            lossSum += nn.functional.cross_entropy(logits, y, reduction: nn.Reduction.Sum).item<float>();
            var top = logits.topk(Math.Min(5, (int)logits.shape[1])).indexes;
            var hits = top.eq(y.unsqueeze(1));
            correct1 += hits.select(1, 0).sum().item<long>();
            correct5 += hits.any(1).sum().item<long>();
            count += batch.Count;
            _report.Validating(epoch + 1, ++step, steps, lossSum / count);
        }
        return new Scores(lossSum / count, (double)correct1 / count, (double)correct5 / count, count);
    }

    /// <summary>
    /// Checkpoint first, then the metrics file it implies: a crash in between leaves a checkpoint whose header still
    /// holds the full history. The epoch's own line gets the checkpoint's write time once it is known.
    /// </summary>
    /// <param name="epochClock">Started with the epoch: its wall time, taken before the write and again after it.</param>
    public void Checkpoint(RunLog log, EpochMetrics metrics, Stopwatch epochClock)
    {
        log.History.Add(metrics with { WallSeconds = epochClock.Elapsed.TotalSeconds });
        var clock = Stopwatch.StartNew();
        Training.Checkpoint.Save(Folder.CheckpointFile,
            new Training.Checkpoint.Header(Spec.ToJson(), metrics.Epoch, metrics.Epoch * StepsPerEpoch, log.History, _data.Fingerprint, log.Dynamics), Model, _optimizer);
        log.History[^1] = metrics with { WallSeconds = epochClock.Elapsed.TotalSeconds, CheckpointSeconds = clock.Elapsed.TotalSeconds };
        Folder.WriteProgress(log.History, log.Dynamics);
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
            "Lower the recipe's lrMax or check the data, then run again.", epoch + 1, measured.Name);
    }

    public void Dispose()
    {
        Probe.Dispose();
        _mean.Dispose();
        _std.Dispose();
        _mixed?.Dispose();
        _optimizer.Dispose();
        Model.Dispose();
        _data.Dispose();
    }
}
