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
    /// <summary>
    /// Resume, then for each epoch left {train, validate, probe, checkpoint}, then finish: score the train split, save
    /// the weights, write the summary. A finished run returns its summary at once.
    /// </summary>
    public RunSummary Run(RunSpec spec, CancellationToken cancellation = default)
    {
        spec.ThrowIfInvalid($"run '{spec.Name}'");
        var requested = spec;
        spec = spec.ForThisMachine().WithInitWeightsHash();
        TorchRuntime.EnsureLoaded();
        var folder = RunFolder.For(runsRoot, spec);
        PrepareFolder(folder, requested, spec);
        if (folder.IsFinished)
            return folder.ReadSummary();

        var report = new TrainingReporter(spec.Name, spec.Epochs, progress);
        using var session = TrainingSession.Open(spec, folder, report, cancellation);
        var log = session.Resume();
        for (int epoch = log.EpochsDone; epoch < spec.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            session.Probe.Clock.Reset();
            if (epoch == 0)
                log.Dynamics.Add(session.Probe.Read(0)); // at initialisation
            var trained = session.TrainEpoch(epoch, log.Dynamics);
            double trainSeconds = clock.Elapsed.TotalSeconds - session.Probe.Clock.Elapsed.TotalSeconds;
            var validationClock = Stopwatch.StartNew();
            var validation = session.Validate(epoch);
            double valSeconds = validation.Images > 0 ? validationClock.Elapsed.TotalSeconds : 0;
            log.Dynamics.Add(session.Probe.Read((epoch + 1) * session.StepsPerEpoch));
            var metrics = EpochMetricsOf(epoch, trained, validation, new EpochTimes(trainSeconds, valSeconds, session.Probe.Clock.Elapsed.TotalSeconds));
            session.Checkpoint(log, metrics, clock);
            string validated = validation.Images > 0
                ? $"val loss {validation.Loss:F4}, top-1 {validation.Top1:P2}, top-5 {validation.Top5:P2}"
                : $"not validated (every {spec.ValidateEvery} epochs)";
            report.EpochDone(epoch + 1, session.StepsPerEpoch, validation.Loss,
                $"epoch {epoch + 1}/{spec.Epochs}: train loss {trained.Loss:F4}, {validated}, {metrics.TrainImagesPerSecond:F1} img/s");
        }
        return Finish(session, log, report);
    }

    /// <summary>Seconds an epoch spent training (optimizer steps and loader), validating and reading the probe.</summary>
    private readonly record struct EpochTimes(double Train, double Val, double Probe);

    /// <summary>An epoch's line of metrics.jsonl; its wall and checkpoint times are added when the checkpoint is written.</summary>
    private static EpochMetrics EpochMetricsOf(int epoch, EpochTraining trained, Scores validation, EpochTimes seconds)
    {
        long liveTensors = LiveTensors(); // first: it collects garbage, so the memory figures below are after it
        bool validated = validation.Images > 0;
        return new EpochMetrics(epoch + 1, trained.Loss, validated ? validation.Loss : null, validated ? validation.Top1 : null, validated ? validation.Top5 : null,
            trained.LastLr, 0, trained.Images / seconds.Train, ProcessMemory.PeakResidentMiB(), ProcessMemory.AnonymousResidentMiB(), liveTensors)
        {
            TrainSeconds = seconds.Train,
            ValSeconds = seconds.Val,
            ProbeSeconds = seconds.Probe,
            ValImagesPerSecond = validated ? validation.Images / seconds.Val : null,
            Version = ProjectVersion.Current,
            Cpu = CpuFeatures.ModelName,
        };
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

    /// <summary>Scores the train split (the memorisation check), saves the final weights and writes the run's summary.</summary>
    private static RunSummary Finish(TrainingSession session, RunLog log, TrainingReporter report)
    {
        var (spec, folder, history) = (session.Spec, session.Folder, log.History);
        var memorised = session.ScoreTrainSplit();
        Weights.Save(folder.ModelFile, session.Model);
        string sha;
        using (var file = File.OpenRead(folder.ModelFile))
            sha = Convert.ToHexStringLower(SHA256.HashData(file));
        var last = history[^1];
        var summary = new RunSummary(spec.Name, spec.Epochs, last.ValTop1!.Value, last.ValTop5!.Value, history.Max(h => h.ValTop1)!.Value,
            history.Sum(h => h.WallSeconds), history.Average(h => h.TrainImagesPerSecond), session.DatasetFingerprint, sha)
        {
            TrainSeconds = history.Sum(h => h.TrainSeconds),
            Version = ProjectVersion.Current,
            TrainEvalTop1 = memorised.Top1,
            TrainEvalLoss = memorised.Loss,
            Cpu = RunCpus.Describe(history, CpuFeatures.ModelName),
            Classes = session.Classes,
        };
        folder.WriteSummary(spec, summary, history);
        report.Finished(last.ValLoss!.Value, $"final val top-1 {last.ValTop1:P2}");
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
}
