using System.Text.Json;

namespace Pipeline.Experiments.Tests;

public sealed class RunFolderTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("runfolder-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static EpochMetrics Epoch(int n, double? top1) =>
        new(n, 2.0 / n, top1 is null ? null : 1.5, top1, top1 is null ? null : top1 + 0.2, 1e-3, 40, 300, 900, 700, 554)
        {
            TrainSeconds = 33,
            ValSeconds = top1 is null ? 0 : 4,
            ProbeSeconds = 0.2,
            CheckpointSeconds = 0.8,
            ValImagesPerSecond = top1 is null ? null : 980,
            Version = "0.1.0+0123456789ab",
        };

    private static DynamicsRecord Point(long step, double epoch) =>
        new(step, epoch, [new ResidualBlockReading("layer1.0", 0.5, 2, 4)], step == 0 ? null : new Dictionary<string, double> { ["stem"] = 0.3 }, step == 0 ? 0 : 1);

    [Fact]
    public void Metrics_and_dynamics_are_written_with_one_set_of_keys_and_read_back_equal()
    {
        var folder = new RunFolder(Path.Combine(_root, "r"));
        EpochMetrics[] history = [Epoch(1, null), Epoch(2, 0.61)];
        DynamicsRecord[] dynamics = [Point(0, 0), Point(147, 1)];
        folder.WriteProgress(history, dynamics);

        // The keys other tools (and the published records) rely on, exactly: a renamed key fails here.
        using (var line = JsonDocument.Parse(File.ReadLines(folder.MetricsFile).First()))
        {
            Assert.Equal(
                ["epoch", "train_loss", "val_loss", "val_top1", "val_top5", "lr", "wall_s", "images_per_s", "peak_rss_mib", "anon_rss_mib", "live_tensors",
                 "train_s", "val_s", "probe_s", "checkpoint_s", "val_images_per_s", "version", "cpu"],
                line.RootElement.EnumerateObject().Select(p => p.Name));
            Assert.Equal(JsonValueKind.Null, line.RootElement.GetProperty("val_top1").ValueKind);
            Assert.Equal("0.1.0+0123456789ab", line.RootElement.GetProperty("version").GetString());
        }
        using (var line = JsonDocument.Parse(File.ReadLines(folder.DynamicsFile).Last()))
        {
            Assert.Equal(["step", "epoch", "blocks", "grad_norms", "grad_steps"], line.RootElement.EnumerateObject().Select(p => p.Name));
            Assert.Equal(["block", "gamma_abs_mean", "branch_norm", "shortcut_norm", "contribution"],
                line.RootElement.GetProperty("blocks")[0].EnumerateObject().Select(p => p.Name));
            Assert.Equal(0.5, line.RootElement.GetProperty("blocks")[0].GetProperty("contribution").GetDouble());
        }

        Assert.Equal(history, folder.ReadMetrics());
        var back = folder.ReadDynamics();
        Assert.Equal(dynamics.Select(d => (d.Step, d.Epoch, d.GradSteps)), back.Select(d => (d.Step, d.Epoch, d.GradSteps)));
        Assert.Equal(dynamics[1].Blocks, back[1].Blocks);
        Assert.Equal(0.3, back[1].GradNorms!["stem"]);
        Assert.Null(back[0].GradNorms);
    }

    [Fact]
    public void A_damaged_line_is_named_by_file_and_line()
    {
        var folder = new RunFolder(Path.Combine(_root, "bad"));
        folder.WriteProgress([Epoch(1, 0.5)], []);
        File.AppendAllText(folder.MetricsFile, "{\"epoch\": \"two\"}\n");
        var e = Assert.Throws<InvalidDataException>(folder.ReadMetrics);
        Assert.Contains(folder.MetricsFile + ":2", e.Message);
    }

    [Fact]
    public void Summary_and_evaluation_round_trip_and_the_summary_page_shows_the_run()
    {
        var folder = new RunFolder(Path.Combine(_root, "s"));
        var spec = new RunSpec { Name = "s", Flavour = ResNetFlavour.Timm, Epochs = 2, Precision = Precision.Bf16 };
        var summary = new RunSummary("s", 2, 0.61, 0.95, 0.61, 80, 300, "fp", "sha") { TrainSeconds = 66, Version = "0.1.0+0123456789ab" };
        folder.WriteSummary(spec, summary, [Epoch(1, null), Epoch(2, 0.61)]);
        var evaluation = new RunEvaluation("s.onnx", "abc", "imagenette val", 3925, "ef", 0.612, 0.951, 0.61, 200, "CPU", "0.1.0+0123456789ab");
        folder.WriteEvaluation(evaluation);

        Assert.Equal(summary, folder.ReadSummary());
        Assert.Equal(evaluation, folder.ReadEvaluation());
        Assert.True(folder.HasSummary);
        Assert.False(folder.IsFinished); // no weights
        string page = File.ReadAllText(folder.SummaryMarkdown);
        Assert.Contains("# Run s", page);
        Assert.Contains("**61.00 %**", page);
        Assert.Contains("| 2 | 1.0000 | 1.5000 | 61.00 % |", page);
        Assert.Null(new RunFolder(Path.Combine(_root, "none")).ReadEvaluation());
    }

    [Fact]
    public void Publishing_copies_the_text_files_and_never_the_weights()
    {
        var folder = new RunFolder(Path.Combine(_root, "runs", "p"));
        folder.WriteSpec(new RunSpec { Name = "p" });
        folder.WriteProgress([Epoch(1, 0.4)], [Point(0, 0)]);
        folder.WriteSummary(new RunSpec { Name = "p" }, new RunSummary("p", 1, 0.4, 0.8, 0.4, 40, 300, "fp", "sha"), [Epoch(1, 0.4)]);
        File.WriteAllBytes(folder.ModelFile, new byte[1000]);
        File.WriteAllBytes(folder.CheckpointFile, new byte[1000]);

        var published = folder.PublishTo(Path.Combine(_root, "results"));

        Assert.Equal(Path.Combine(_root, "results", "runs", "p"), published.Path);
        Assert.Equal(["config.json", "dynamics.jsonl", "metrics.jsonl", "summary.json", "summary.md"],
            Directory.GetFiles(published.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.True(RunFolder.PublishedIn(Path.Combine(_root, "results"), "p").HasSummary);
        Assert.Equal(File.ReadAllBytes(folder.MetricsFile), File.ReadAllBytes(published.MetricsFile));
        Assert.Equal(folder.ReadSummary(), published.ReadSummary());
    }
}
