using System.Text.Json;
using Pipeline.Experiments;

namespace Pipeline.Cli.Tests;

/// <summary>
/// A sweep run by several `pipeline` processes sharing one runs folder, as cluster workers do: every run trained
/// exactly once, a killed worker's run resumed by the next, and the results equal to a single process's, bit for bit.
/// Tiny runs (64 px, 130 training images, 3 epochs of 2 steps); about two minutes on 2 cores.
/// </summary>
public sealed class SweepTests(SweepTests.Reference reference) : IClassFixture<SweepTests.Reference>
{
    /// <summary>The sweep, and its runs done by a single process: what every other way of running it must match.</summary>
    public sealed class Reference : IDisposable
    {
        public const string PipelineJson = """
            {
              "name": "sweep",
              "variants": [ { "flavour": "torchvision", "zeroInitLast": false }, { "flavour": "torchvision", "zeroInitLast": true } ],
              "seeds": [1, 2],
              "imageSize": 64,
              "epochs": 3,
              "trainPerClass": 13,
              "valPerClass": 4,
              "evaluate": { "split": "val", "perClassLimit": 4, "reportDirectory": "reports/sweep" },
              "results": "results/sweep"
            }
            """;

        public string Root { get; } = Directory.CreateTempSubdirectory("sweep-").FullName;
        public string Single { get; }
        public IReadOnlyList<string> RunNames { get; }

        public Reference()
        {
            Single = NewWorkspace("single");
            var (exit, output) = PipelineProcess.Run(Single, "run", "sweep.json");
            Assert.True(exit == 0, output);
            RunNames = WorkerOutput.Trained(output);
        }

        public string NewWorkspace(string name)
        {
            string dir = Path.Combine(Root, name);
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "sweep.json"), PipelineJson);
            return dir;
        }

        public void Dispose() => Directory.Delete(Root, recursive: true);
    }

    /// <summary>Weights and per-epoch losses and accuracies of every run: equal to the single process's; and every run published.</summary>
    private void AssertSameResults(string workspace)
    {
        foreach (string name in reference.RunNames)
        {
            var expected = new RunFolder(Path.Combine(reference.Single, "runs", name));
            var actual = new RunFolder(Path.Combine(workspace, "runs", name));
            Assert.Equal(expected.ReadSummary().ModelSha256, actual.ReadSummary().ModelSha256);
            Assert.Equal(expected.ReadMetrics().Select(m => (m.TrainLoss, m.ValLoss, m.ValTop1)), actual.ReadMetrics().Select(m => (m.TrainLoss, m.ValLoss, m.ValTop1)));
            Assert.True(RunFolder.PublishedIn(Path.Combine(workspace, "results", "sweep"), name).HasSummary, $"{name} is not published");
        }
    }

    /// <summary>The collector trains nothing and writes the report over every run's model, with the same ML.NET scores as the single process's.</summary>
    private void AssertCollects(string workspace)
    {
        var (exit, output) = PipelineProcess.Run(workspace, "run", "sweep.json", "--collect");
        Assert.True(exit == 0, output);
        Assert.Empty(WorkerOutput.Trained(output));
        Assert.True(File.Exists(Path.Combine(workspace, "reports", "sweep", "report.json")), output);
        Assert.Equal(Scores(reference.Single), Scores(workspace));
    }

    /// <summary>Each model's ML.NET top-1 in the combined report, by name.</summary>
    private static IReadOnlyList<(string, double)> Scores(string workspace)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(workspace, "reports", "sweep", "report.json")));
        return json.RootElement.GetProperty("models").EnumerateArray()
            .Select(m => (m.GetProperty("name").GetString()!, m.GetProperty("metrics").GetProperty("top1").GetDouble())).ToArray();
    }

    [Fact]
    public void The_plan_lists_the_runs_in_the_order_workers_divide_and_a_matrix_can_read_it()
    {
        var (exit, output) = PipelineProcess.Run(reference.Single, "plan", "sweep.json", "--json");
        Assert.True(exit == 0, output);
        using var json = JsonDocument.Parse(output);
        var entries = json.RootElement.GetProperty("include").EnumerateArray().ToArray();
        Assert.Equal(reference.RunNames, entries.Select(e => e.GetProperty("name").GetString()));
        Assert.Equal(["0/4", "1/4", "2/4", "3/4"], entries.Select(e => e.GetProperty("shard").GetString()));
        Assert.All(entries, e => Assert.Equal("published", e.GetProperty("state").GetString()));
    }

    [Fact]
    public void Two_claiming_workers_train_every_run_once_and_end_as_a_single_process()
    {
        string workspace = reference.NewWorkspace("claim");
        using var a = PipelineProcess.Start(workspace, "run", "sweep.json", "--claim");
        using var b = PipelineProcess.Start(workspace, "run", "sweep.json", "--claim");
        var (exitA, outputA) = a.Wait(TimeSpan.FromMinutes(10));
        var (exitB, outputB) = b.Wait(TimeSpan.FromMinutes(10));
        Assert.True(exitA == 0 && exitB == 0, outputA + outputB);

        Assert.Equal(reference.RunNames.Order(), WorkerOutput.Trained(outputA).Concat(WorkerOutput.Trained(outputB)).Order());
        AssertSameResults(workspace);
        AssertCollects(workspace);
    }

    [Fact]
    public void Three_sharded_workers_each_train_their_share_and_the_collector_waits_for_all_of_them()
    {
        string workspace = reference.NewWorkspace("shards");
        var (exit, output) = PipelineProcess.Run(workspace, "run", "sweep.json", "--shard", "0/3");
        Assert.True(exit == 0, output);
        Assert.Equal([reference.RunNames[0], reference.RunNames[3]], WorkerOutput.Trained(output));

        // Collecting early names what is missing and reports nothing.
        (exit, output) = PipelineProcess.Run(workspace, "run", "sweep.json", "--collect");
        Assert.Equal(1, exit);
        Assert.Contains("not finished: 2 of 4 runs", output);
        Assert.Contains(reference.RunNames[1], output);
        Assert.False(Directory.Exists(Path.Combine(workspace, "reports")));

        using var second = PipelineProcess.Start(workspace, "run", "sweep.json", "--shard", "1/3");
        using var third = PipelineProcess.Start(workspace, "run", "sweep.json", "--shard", "2/3");
        var outputs = new[] { second.Wait(TimeSpan.FromMinutes(10)), third.Wait(TimeSpan.FromMinutes(10)) };
        Assert.All(outputs, o => Assert.True(o.ExitCode == 0, o.Output));
        Assert.Equal([reference.RunNames[1]], WorkerOutput.Trained(outputs[0].Output));
        Assert.Equal([reference.RunNames[2]], WorkerOutput.Trained(outputs[1].Output));
        AssertSameResults(workspace);
        AssertCollects(workspace);
    }

    [Fact]
    public void A_killed_workers_run_is_resumed_by_the_next_worker_and_ends_identical()
    {
        string workspace = reference.NewWorkspace("killed");
        string first = reference.RunNames[0];
        var metrics = new RunFolder(Path.Combine(workspace, "runs", first));
        using (var doomed = PipelineProcess.Start(workspace, "run", "sweep.json", "--claim"))
        {
            // Kill it between two checkpoints of its first run: one or two of its three epochs done.
            var deadline = DateTime.UtcNow.AddMinutes(5);
            while (!(File.Exists(metrics.MetricsFile) && File.ReadAllLines(metrics.MetricsFile).Length is >= 1 and < 3))
            {
                Assert.True(DateTime.UtcNow < deadline, "the first epoch never finished");
                Thread.Sleep(20);
            }
            doomed.Kill();
        }
        Assert.False(metrics.HasSummary, "the worker was killed mid-run");

        // Its lock died with it: the next worker takes the run over and resumes its checkpoint.
        var (exit, output) = PipelineProcess.Run(workspace, "run", "sweep.json", "--claim");
        Assert.True(exit == 0, output);
        Assert.Contains("resuming after epoch", output);
        Assert.Equal(reference.RunNames, WorkerOutput.Trained(output));
        AssertSameResults(workspace);
    }

    [Fact]
    public void A_second_train_of_a_run_being_trained_is_refused_and_names_the_holder()
    {
        string workspace = reference.NewWorkspace("train-twice");
        string[] train = ["train", "--name", "busy", "--epochs", "20", "--image-size", "64", "--train-per-class", "13", "--val-per-class", "4", "--seed", "3"];
        using var first = PipelineProcess.Start(workspace, train);
        string holderFile = Path.Combine(workspace, "runs", "busy", RunLock.HolderFileName);
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (!File.Exists(holderFile))
        {
            Assert.True(DateTime.UtcNow < deadline, "the first train never took its lock");
            Thread.Sleep(20);
        }
        var (exit, output) = PipelineProcess.Run(workspace, train);
        Assert.Equal(2, exit);
        Assert.Contains("is being trained by another process", output);
        Assert.Contains($"pid {first.Id}", output);
        first.Kill();
    }
}
