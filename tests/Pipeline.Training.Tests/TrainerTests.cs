using Pipeline.Experiments;
using Pipeline.Models;
using Pipeline.Training;

namespace Pipeline.Training.Tests;

/// <summary>Real training on small slices of Imagenette at 64 px: seconds each on 2 cores.</summary>
public sealed class TrainerTests : IDisposable
{
    private readonly string _runs = Path.Combine(Path.GetTempPath(), $"pipeline-runs-{Guid.NewGuid():N}");

    private static RunSpec Small(string name, int epochs = 1, int trainPerClass = 8, Recipe? recipe = null) => new()
    {
        Name = name,
        Flavour = ResNetFlavour.Timm,
        Epochs = epochs,
        ImageSize = 64,
        TrainPerClass = trainPerClass,
        ValPerClass = 3,
        RecipeOverride = recipe ?? Recipe.FastaiReference with { BatchSize = 16 },
        Seed = 3,
    };

    [Fact]
    public void One_epoch_on_a_slice_writes_a_complete_run_folder()
    {
        var spec = Small("one-epoch");
        var summary = new Trainer(_runs).Run(spec);
        var folder = RunFolder.For(_runs, spec);

        Assert.True(folder.IsFinished);
        foreach (var file in new[] { folder.SpecFile, folder.MetricsFile, folder.CheckpointFile, folder.ModelFile, folder.SummaryMarkdown })
            Assert.True(File.Exists(file), $"{file} should exist");
        var metrics = Assert.Single(folder.ReadMetrics());
        Assert.Equal(1, metrics.Epoch);
        Assert.InRange(metrics.ValTop1!.Value, 0, 1);
        Assert.True(metrics.ValTop5 >= metrics.ValTop1);
        Assert.True(double.IsFinite(metrics.TrainLoss) && metrics.TrainLoss > 0);
        Assert.True(metrics.TrainImagesPerSecond > 0);
        Assert.Equal(metrics.ValTop1, summary.FinalValTop1);
        // The epoch's time, split: every part measured, and together no more than the whole.
        Assert.True(metrics is { TrainSeconds: > 0, ValSeconds: > 0, ProbeSeconds: > 0, CheckpointSeconds: > 0, ValImagesPerSecond: > 0 }, metrics.ToString());
        Assert.True(metrics.TrainSeconds + metrics.ValSeconds + metrics.ProbeSeconds + metrics.CheckpointSeconds <= metrics.WallSeconds + 1e-6, metrics.ToString());
        Assert.Equal(ProjectVersion.Current, metrics.Version);
        Assert.Matches(@"^\d+\.\d+\.\d+\+[0-9a-f]{12}$", ProjectVersion.Current);
        Assert.Contains($"\"version\":\"{ProjectVersion.Current}\"", File.ReadAllText(folder.MetricsFile));
        // The epoch and the run name the CPU that trained them: bits reproduce only on its generation.
        Assert.Equal(CpuFeatures.ModelName, metrics.Cpu);
        Assert.Equal(CpuFeatures.ModelName, summary.Cpu);
        // The run records what it ran: precision auto decided for this machine.
        Assert.Equal(spec.ForThisMachine().ToJson(), File.ReadAllText(folder.SpecFile));
        Assert.DoesNotContain("\"auto\"", File.ReadAllText(folder.SpecFile));
    }

    [Fact]
    public void Loss_falls_when_over_fitting_64_images()
    {
        // 64 images (batch 16, 4 steps per epoch) seen 10 times: the training loss must drop well below chance (ln 10 ≈ 2.30).
        var recipe = Recipe.FastaiReference with { BatchSize = 16, LrMax = 3e-3 };
        // 70 images; the last partial batch is dropped, so the same 64-image budget is seen each epoch.
        var spec = Small("overfit", epochs: 10, trainPerClass: 7, recipe: recipe) with { ValPerClass = 1 };
        new Trainer(_runs).Run(spec);
        var metrics = RunFolder.For(_runs, spec).ReadMetrics();
        var losses = metrics.Select(m => m.TrainLoss).ToArray();
        Assert.True(losses[^1] < 0.5 * losses[0], $"train loss should at least halve: {string.Join(", ", losses.Select(l => l.ToString("F3")))}");
        // No native tensor outlives its step: as many live at the end of epoch 10 as at the end of epoch 1.
        var live = metrics.Select(m => m.LiveTensors).ToArray();
        Assert.True(live.All(n => n == live[0]) && live[0] > 0, $"live tensors per epoch: {string.Join(", ", live)}");
    }

    [Fact]
    public void Every_run_records_the_residual_branches_at_init_in_the_first_epoch_and_after_each_epoch()
    {
        // 8 steps per epoch: points at 1/16, 1/8, 1/4 and 1/2 of the first epoch are steps 1 (twice), 2 and 4.
        var spec = Small("dynamics", epochs: 2, trainPerClass: 13) with { ZeroInitLast = true };
        new Trainer(_runs).Run(spec);
        var dynamics = RunFolder.For(_runs, spec).ReadDynamics();

        Assert.Equal(new long[] { 0, 1, 2, 4, 8, 16 }, dynamics.Select(d => d.Step));
        Assert.Equal(new[] { 0, 0.125, 0.25, 0.5, 1, 2 }, dynamics.Select(d => d.Epoch));
        Assert.All(dynamics, d => Assert.Equal(8, d.Blocks.Count));
        // Zero-init: every branch is silent at initialisation and none is after training started.
        Assert.All(dynamics[0].Blocks, b => Assert.Equal(0, b.Contribution));
        Assert.All(dynamics[^1].Blocks, b => Assert.True(b.Contribution > 0 && b.LastGammaMeanAbs > 0, b.ToString()));
        // Gradients: none before the first step; then per group, averaged over the steps since the last point.
        Assert.Null(dynamics[0].GradNorms);
        Assert.Equal(new[] { 0, 1, 1, 2, 1, 1 }, dynamics.Select(d => d.GradSteps));
        Assert.Equal(["head", "layer1", "layer2", "layer3", "layer4", "stem"], dynamics[1].GradNorms!.Keys.Order());
        Assert.All(dynamics.Skip(1), d => Assert.All(d.GradNorms!.Values, g => Assert.True(g > 0 && double.IsFinite(g))));
    }

    [Fact]
    public void A_run_that_validates_every_second_epoch_leaves_the_others_unvalidated_and_always_validates_the_last()
    {
        var spec = Small("sparse-validation", epochs: 3) with { ValidateEvery = 2 };
        var summary = new Trainer(_runs).Run(spec);
        var metrics = RunFolder.For(_runs, spec).ReadMetrics();
        Assert.Equal(new[] { false, true, true }, metrics.Select(m => m.Validated));
        Assert.Equal(0, metrics[0].ValSeconds);
        Assert.Null(metrics[0].ValImagesPerSecond);
        Assert.Contains("\"val_top1\":null", File.ReadLines(RunFolder.For(_runs, spec).MetricsFile).First());
        Assert.Equal(metrics[2].ValTop1, summary.FinalValTop1);
    }

    [Fact]
    public void Interrupted_run_resumes_and_ends_as_an_uninterrupted_one()
    {
        var straight = Small("straight", epochs: 2);
        new Trainer(_runs).Run(straight);

        var interrupted = straight with { Name = "interrupted" };
        using var cancel = new CancellationTokenSource();
        var stopAfterEpoch1 = new InlineProgress(p =>
        {
            if (p.Phase == TrainingPhase.Validating && p.Message is not null && p.Epoch == 1)
                cancel.Cancel();
        });
        Assert.ThrowsAny<OperationCanceledException>(() => new Trainer(_runs, stopAfterEpoch1).Run(interrupted, cancel.Token));
        var folder = RunFolder.For(_runs, interrupted);
        Assert.False(folder.IsFinished);
        Assert.Single(folder.ReadMetrics());

        new Trainer(_runs).Run(interrupted);
        var a = RunFolder.For(_runs, straight).ReadMetrics();
        var b = folder.ReadMetrics();
        Assert.Equal(2, b.Count);
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(a[i].TrainLoss, b[i].TrainLoss);
            Assert.Equal(a[i].ValLoss, b[i].ValLoss);
            Assert.Equal(a[i].ValTop1, b[i].ValTop1);
            Assert.NotNull(b[i].CheckpointSeconds); // the resumed epoch's write time comes back from metrics.jsonl
            Assert.Equal(CpuFeatures.ModelName, b[i].Cpu); // the checkpoint's history keeps each epoch's CPU
        }
        Assert.Equal(CpuFeatures.ModelName, folder.ReadSummary().Cpu);
        Assert.Equal(RunFolder.For(_runs, straight).ReadSummary().ModelSha256, folder.ReadSummary().ModelSha256);
        var dynamicsA = RunFolder.For(_runs, straight).ReadDynamics();
        var dynamicsB = folder.ReadDynamics();
        Assert.Equal(dynamicsA.Select(d => d.Step), dynamicsB.Select(d => d.Step));
        Assert.Equal(dynamicsA.SelectMany(d => d.Blocks).Select(x => x.Contribution), dynamicsB.SelectMany(d => d.Blocks).Select(x => x.Contribution));
    }

    [Fact]
    public void A_run_trained_while_the_garbage_collector_never_rests_ends_as_an_undisturbed_one()
    {
        // A native object whose managed wrapper is unreachable can be freed by a collection while libtorch reads it:
        // TorchSharp's implicit Scalars (its AdamW step, BatchNorm's running count) and a chained call on a temporary
        // tensor outside a dispose scope. With TorchSharp's AdamW this run failed 3 of 3 tries ("Expected false to be
        // true"); with its BatchNorm 2 of 3 ("argument alpha must not be a floating point number"); with the setup
        // unscoped 5 of 11 (a segfault in contiguous). Every step, validation, probe and checkpoint races the collector.
        var quiet = Small("quiet", epochs: 2, trainPerClass: 16);
        new Trainer(_runs).Run(quiet);
        var stressed = quiet with { Name = "stressed" };
        using (new GarbageCollectorStorm())
            new Trainer(_runs).Run(stressed);
        Assert.Equal(RunFolder.For(_runs, quiet).ReadSummary().ModelSha256, RunFolder.For(_runs, stressed).ReadSummary().ModelSha256);
    }

    [Fact]
    public void Diverging_loss_stops_with_a_clear_message_and_leaves_no_finished_model()
    {
        // An absurd learning rate blows the weights up within the first steps.
        var spec = Small("diverge") with { RecipeOverride = Recipe.FastaiReference with { BatchSize = 16, LrMax = 1e30, DivStart = 1 } };
        var e = Assert.Throws<TrainingDivergedException>(() => new Trainer(_runs).Run(spec));
        Assert.Contains("training loss became", e.Message);
        Assert.Contains("No checkpoint is kept", e.Message); // it diverged in epoch 1: there is no earlier one to name
        var folder = RunFolder.For(_runs, spec);
        Assert.False(folder.IsFinished);
        Assert.False(File.Exists(folder.CheckpointFile), "no checkpoint may be written for a diverged epoch");
    }

    [Fact]
    public void A_validation_loss_that_diverges_stops_the_run_before_anything_of_the_epoch_is_written()
    {
        // One step per epoch (20 images, batch 16): its training loss is measured before the absurd update, so it is
        // finite, and the update then blows the weights up: only validation can see it.
        var spec = Small("diverge-val", trainPerClass: 2) with { RecipeOverride = Recipe.FastaiReference with { BatchSize = 16, LrMax = 1e30, DivStart = 1 } };

        var e = Assert.Throws<TrainingDivergedException>(() => new Trainer(_runs).Run(spec));

        Assert.Contains("the validation loss became", e.Message);
        Assert.Contains("at epoch 1", e.Message);
        Assert.Contains("No checkpoint is kept", e.Message);
        var folder = RunFolder.For(_runs, spec);
        // Nothing of the bad epoch, and no temporary file: only the run's definition, written before training.
        Assert.Equal([Path.GetFileName(folder.SpecFile)], Directory.GetFiles(folder.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void A_divergence_after_a_good_epoch_names_the_checkpoint_that_is_kept()
    {
        var spec = Small("kept");
        var folder = RunFolder.For(_runs, spec);
        Directory.CreateDirectory(folder.Path);
        File.WriteAllBytes(folder.CheckpointFile, [1]);

        var e = Assert.Throws<TrainingDivergedException>(() => TrainingSession.ThrowIfNotFinite(spec, folder, epoch: 1, ("validation loss", double.NaN)));

        Assert.Contains("the validation loss became NaN at epoch 2", e.Message);
        Assert.Equal((2, "validation loss"), (e.Epoch, e.Loss)); // what the runner records as the run's divergence
        Assert.Contains($"The last good checkpoint, after epoch 1 ({folder.CheckpointFile}), is kept.", e.Message);
    }

    [Theory]
    [InlineData("flip")]
    [InlineData("truncate")]
    public void A_checkpoint_damaged_anywhere_is_refused_with_the_file_named_not_loaded(string damage)
    {
        var spec = Small("damaged", epochs: 2);
        using (var cancel = new CancellationTokenSource())
        {
            var stopAfterEpoch1 = new InlineProgress(p =>
            {
                if (p.Phase == TrainingPhase.Validating && p.Message is not null && p.Epoch == 1)
                    cancel.Cancel();
            });
            Assert.ThrowsAny<OperationCanceledException>(() => new Trainer(_runs, stopAfterEpoch1).Run(spec, cancel.Token));
        }
        var file = RunFolder.For(_runs, spec).CheckpointFile;
        var bytes = File.ReadAllBytes(file);
        if (damage == "flip")
            bytes[bytes.Length / 2] ^= 0x10; // the middle of the tensor data: a header parser alone would not notice
        else
            bytes = bytes[..(bytes.Length * 2 / 3)];
        File.WriteAllBytes(file, bytes);

        var e = Assert.Throws<InvalidDataException>(() => new Trainer(_runs).Run(spec));
        Assert.Contains(file, e.Message);
        Assert.Contains("Delete it", e.Message);
    }

    [Fact]
    public void A_changed_definition_never_reuses_an_existing_run_folder()
    {
        var spec = Small("changed");
        new Trainer(_runs).Run(spec);
        var e = Assert.Throws<RunSpecException>(() => new Trainer(_runs).Run(spec with { Seed = 4 }));
        Assert.Contains("different definition", e.Message);
        Assert.Contains(RunFolder.For(_runs, spec).Path, e.Message);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_run_started_in_the_other_precision_is_kept_and_the_way_on_is_named(bool auto)
    {
        var here = (Small("moved") with { Precision = Precision.Auto }).ForThisMachine().Precision;
        var there = here == Precision.Bf16 ? Precision.Fp32 : Precision.Bf16;
        var spec = Small("moved") with { Precision = auto ? Precision.Auto : here };
        var folder = RunFolder.For(_runs, spec);
        Directory.CreateDirectory(folder.Path);
        folder.WriteSpec(spec with { Precision = there }); // what the machine, or the request, that started it recorded
        string recorded = File.ReadAllText(folder.SpecFile);

        var e = Assert.Throws<RunSpecException>(() => new Trainer(_runs).Run(spec));
        Assert.Contains($"started in {there.Name()}", e.Message);
        Assert.Contains(auto ? $"auto → {here.Name()}" : $"asked for in {here.Name()} now", e.Message);
        Assert.Contains($"--precision {there.Name()}", e.Message);
        Assert.DoesNotContain("delete", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(recorded, File.ReadAllText(folder.SpecFile));
    }

    public void Dispose()
    {
        if (Directory.Exists(_runs))
            Directory.Delete(_runs, recursive: true);
    }

    /// <summary>A thread that collects and runs finalizers without pause until disposed.</summary>
    private sealed class GarbageCollectorStorm : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Thread _thread;

        public GarbageCollectorStorm()
        {
            _thread = new Thread(() =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                }
            });
            _thread.Start();
        }

        public void Dispose()
        {
            _stop.Cancel();
            _thread.Join();
            _stop.Dispose();
        }
    }

    private sealed class InlineProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
