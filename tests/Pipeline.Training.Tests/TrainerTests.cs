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
        var folder = new Trainer(_runs).FolderFor(spec);

        Assert.True(folder.IsFinished);
        foreach (var file in new[] { folder.SpecFile, folder.MetricsFile, folder.CheckpointFile, folder.ModelFile, folder.SummaryMarkdown })
            Assert.True(File.Exists(file), $"{file} should exist");
        var metrics = Assert.Single(folder.ReadMetrics());
        Assert.Equal(1, metrics.Epoch);
        Assert.InRange(metrics.ValTop1, 0, 1);
        Assert.True(metrics.ValTop5 >= metrics.ValTop1);
        Assert.True(double.IsFinite(metrics.TrainLoss) && metrics.TrainLoss > 0);
        Assert.True(metrics.TrainImagesPerSecond > 0);
        Assert.Equal(metrics.ValTop1, summary.FinalValTop1);
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
        var metrics = new Trainer(_runs).FolderFor(spec).ReadMetrics();
        var losses = metrics.Select(m => m.TrainLoss).ToArray();
        Assert.True(losses[^1] < 0.5 * losses[0], $"train loss should at least halve: {string.Join(", ", losses.Select(l => l.ToString("F3")))}");
        // No native tensor outlives its step: as many live at the end of epoch 10 as at the end of epoch 1.
        var live = metrics.Select(m => m.LiveTensors).ToArray();
        Assert.True(live.All(n => n == live[0]) && live[0] > 0, $"live tensors per epoch: {string.Join(", ", live)}");
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
        var folder = new Trainer(_runs).FolderFor(interrupted);
        Assert.False(folder.IsFinished);
        Assert.Single(folder.ReadMetrics());

        new Trainer(_runs).Run(interrupted);
        var a = new Trainer(_runs).FolderFor(straight).ReadMetrics();
        var b = folder.ReadMetrics();
        Assert.Equal(2, b.Count);
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(a[i].TrainLoss, b[i].TrainLoss, 5);
            Assert.Equal(a[i].ValLoss, b[i].ValLoss, 5);
            Assert.Equal(a[i].ValTop1, b[i].ValTop1);
        }
    }

    [Fact]
    public void Diverging_loss_stops_with_a_clear_message_and_leaves_no_finished_model()
    {
        // An absurd learning rate blows the weights up within the first steps.
        var spec = Small("diverge") with { RecipeOverride = Recipe.FastaiReference with { BatchSize = 16, LrMax = 1e30, DivStart = 1 } };
        var e = Assert.Throws<TrainingDivergedException>(() => new Trainer(_runs).Run(spec));
        Assert.Contains("loss became", e.Message);
        Assert.Contains("last good checkpoint", e.Message);
        var folder = new Trainer(_runs).FolderFor(spec);
        Assert.False(folder.IsFinished);
        Assert.False(File.Exists(folder.CheckpointFile), "no checkpoint may be written for a diverged epoch");
    }

    [Fact]
    public void A_changed_definition_never_reuses_an_existing_run_folder()
    {
        var spec = Small("changed");
        new Trainer(_runs).Run(spec);
        var e = Assert.Throws<RunSpecException>(() => new Trainer(_runs).Run(spec with { Seed = 4 }));
        Assert.Contains("different definition", e.Message);
        Assert.Contains(new Trainer(_runs).FolderFor(spec).Path, e.Message);
    }

    public void Dispose()
    {
        if (Directory.Exists(_runs))
            Directory.Delete(_runs, recursive: true);
    }

    private sealed class InlineProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
