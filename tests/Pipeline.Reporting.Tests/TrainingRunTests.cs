using Pipeline.Evaluation.Tests.Fixtures;
using Pipeline.Reporting.Tests.Fixtures;

namespace Pipeline.Reporting.Tests;

public sealed class TrainingRunTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("runs-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Metrics_jsonl_is_read_one_epoch_per_line()
    {
        string folder = TrainingRuns.Write(_root, "tv-s1", [0.2, 0.3]);

        var run = TrainingRun.Load(folder);

        Assert.Equal([1, 2], run.Epochs.Select(e => e.Epoch));
        Assert.Equal(0.3, run.FinalValTop1);
        Assert.Equal(1.9, run.Epochs[1].ValLoss!.Value, 6);
        Assert.Equal("1.125", run.PreprocessingSettings["recipeOverride.resizeScale"]);
        Assert.Equal("64", run.PreprocessingSettings["imageSize"]);
    }

    [Fact]
    public void A_run_is_found_by_the_model_metadata_run_name_under_the_runs_root()
    {
        TrainingRuns.Write(_root, "timm-s2", [0.5]);
        var metadata = TestModels.Metadata(Imagenette.Classes) with { RunName = "timm-s2" };

        var (run, note) = TrainingRun.Locate(metadata, _root);

        Assert.NotNull(run);
        Assert.Contains("1 epoch(s)", note);
    }

    [Fact]
    public void An_absent_run_gives_no_curves_and_says_so()
    {
        var metadata = TestModels.Metadata(Imagenette.Classes) with { RunName = "deleted-run" };

        var (run, note) = TrainingRun.Locate(metadata, _root);

        Assert.Null(run);
        Assert.Contains("has no metrics.jsonl: no learning curves", note);
    }

    [Fact]
    public void A_malformed_line_is_named_by_file_and_line()
    {
        string folder = TrainingRuns.Write(_root, "bad", [0.2]);
        File.AppendAllText(Path.Combine(folder, "metrics.jsonl"), "{\"epoch\": \"two\"\n");

        var ex = Assert.Throws<InvalidDataException>(() => TrainingRun.Load(folder));

        Assert.Contains("metrics.jsonl:2", ex.Message);
    }
}
