using System.Security.Cryptography;
using System.Text.Json;
using Pipeline.Experiments;
using Xunit.Abstractions;

namespace Pipeline.Cli.Tests;

/// <summary>
/// Sweeps on a real Slurm cluster (issue #26): one node on 127.0.0.1 started by deploy/slurm/local-cluster.sh, jobs
/// submitted with sbatch from a folder that stands for a checkout on a cluster's shared file system, through the
/// shipped batch scripts as they are (only PIPELINE_DLL points them at the tool these tests built). An array with its
/// afterok collect job for each kind of pipeline, a task cancelled mid-run and requeued, and two claiming workers.
/// Tiny runs (64 px, 12 training images per class, 2 or 3 epochs of one step); a few minutes on 2 cores.
/// Skipped where Slurm is not installed, unless PIPELINE_REQUIRE_SLURM=1 (CI), which makes that a failure.
/// </summary>
public sealed class SlurmClusterTests(SlurmClusterTests.Cluster cluster, ITestOutputHelper output) : IClassFixture<SlurmClusterTests.Cluster>
{
    /// <summary>The cluster the tests share, started by the first one that runs (a skipped class starts none), and the jobs' folders.</summary>
    public sealed class Cluster : IDisposable
    {
        private readonly Lazy<LocalSlurmCluster> _cluster = new(() => new LocalSlurmCluster());

        public LocalSlurmCluster Value => _cluster.Value;

        public string Root { get; } = Directory.CreateTempSubdirectory("slurm-sweeps-").FullName;

        public void Dispose()
        {
            if (_cluster.IsValueCreated)
                _cluster.Value.Dispose();
            Directory.Delete(Root, recursive: true);
        }
    }

    public enum PipelineKind { PublishesRecords, PublishesNothing }

    private const string PipelineFile = "pipeline.json";

    /// <summary>Like pipelines/zero-init-seeds.json: a zero-init pair, each run scored as it finishes, its records published.</summary>
    private const string PublishingPipeline = """
        {
          "name": "slurm-published",
          "variants": [ { "flavour": "torchvision", "zeroInitLast": false }, { "flavour": "torchvision", "zeroInitLast": true } ],
          "seeds": [1],
          "imageSize": 64,
          "epochs": 2,
          "trainPerClass": 12,
          "valPerClass": 4,
          "evaluateEachRun": true,
          "evaluate": { "split": "val", "perClassLimit": 4, "reportDirectory": "reports/slurm-published" },
          "results": "results/slurm-published"
        }
        """;

    /// <summary>Like pipelines/smoke.json: both flavours' defaults, nothing published.</summary>
    private const string PlainPipeline = """
        {
          "name": "slurm-plain",
          "variants": [ { "flavour": "torchvision" }, { "flavour": "timm" } ],
          "seeds": [2],
          "imageSize": 64,
          "epochs": 2,
          "trainPerClass": 12,
          "valPerClass": 4,
          "evaluate": { "split": "val", "perClassLimit": 4, "reportDirectory": "reports/slurm-plain" }
        }
        """;

    /// <summary>One run of three epochs: room to cancel it after its first checkpoint and before its last.</summary>
    private const string FaultPipeline = """
        {
          "name": "slurm-fault",
          "variants": [ { "flavour": "torchvision", "zeroInitLast": true } ],
          "seeds": [3],
          "imageSize": 64,
          "epochs": 3,
          "trainPerClass": 12,
          "valPerClass": 4,
          "evaluate": { "split": "val", "perClassLimit": 4, "reportDirectory": "reports/slurm-fault" }
        }
        """;

    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(10);

    private LocalSlurmCluster Slurm => cluster.Value;

    /// <summary>A folder the jobs work in, as a checkout on the shared file system: the pipeline file, its plan, and the logs folder the scripts write to.</summary>
    private sealed record Sweep(string Folder, string Name, IReadOnlyList<string> Runs)
    {
        public RunFolder Run(string name) => new(Path.Combine(Folder, "runs", name));

        public string Model(string name) => Path.Combine(Folder, "models", Name, name + ".onnx");
    }

    private Sweep NewSweep(string folderName, string pipelineJson)
    {
        string folder = Directory.CreateDirectory(Path.Combine(cluster.Root, folderName)).FullName;
        File.WriteAllText(Path.Combine(folder, PipelineFile), pipelineJson);
        // As the scripts' usage says: Slurm opens each job's log in logs/ before the script runs.
        Directory.CreateDirectory(Path.Combine(folder, "logs"));
        // The array's size comes from the plan, as in the scripts' usage (plan --json | jq '.include | length').
        var (exit, printed) = PipelineProcess.Run(folder, "plan", PipelineFile, "--json");
        Assert.True(exit == 0, printed);
        using var plan = JsonDocument.Parse(printed);
        var entries = plan.RootElement.GetProperty("include").EnumerateArray().ToArray();
        return new Sweep(folder, entries[0].GetProperty("pipeline").GetString()!, entries.Select(e => e.GetProperty("name").GetString()!).ToArray());
    }

    private string SubmitArray(Sweep sweep, string script, int tasks, params string[] options) =>
        Slurm.Submit(sweep.Folder, [$"--array=0-{tasks - 1}", .. options, LocalSlurmCluster.BatchScript(script), PipelineFile]);

    private string SubmitCollect(Sweep sweep, string dependency) =>
        Slurm.Submit(sweep.Folder, $"--dependency=afterok:{dependency}", LocalSlurmCluster.BatchScript("collect.sbatch"), PipelineFile);

    private void AssertAllSucceeded(IReadOnlyList<SlurmJob> jobs)
    {
        foreach (var job in jobs)
            output.WriteLine($"{job}, {job.Start:T} to {job.End:T}");
        Assert.True(jobs.All(j => j.Succeeded), $"expected every job COMPLETED with exit code 0:0:\n{LocalSlurmCluster.Describe(jobs)}");
    }

    private static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    /// <summary>The models the combined report scored, by name.</summary>
    private static IReadOnlyList<string> ReportedModels(Sweep sweep, string reportDirectory)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(sweep.Folder, reportDirectory, "report.json")));
        return json.RootElement.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("name").GetString()!).ToArray();
    }

    [SlurmTheory]
    [InlineData(PipelineKind.PublishesRecords)]
    [InlineData(PipelineKind.PublishesNothing)]
    public void An_array_and_its_afterok_collect_train_each_run_once_report_them_all_and_every_job_completes(PipelineKind kind)
    {
        bool publishes = kind == PipelineKind.PublishesRecords;
        var sweep = NewSweep(kind.ToString(), publishes ? PublishingPipeline : PlainPipeline);
        string array = SubmitArray(sweep, "sweep.sbatch", sweep.Runs.Count);
        string collect = SubmitCollect(sweep, array);

        var tasks = Slurm.WaitUntilEnded(array, JobTimeout);
        var collected = Slurm.WaitUntilEnded(collect, JobTimeout).Single();
        AssertAllSucceeded([.. tasks, collected]);

        // Task k trained run k of the plan, and nothing else; the collect job trained nothing.
        Assert.Equal(sweep.Runs.Count, tasks.Count);
        for (int k = 0; k < sweep.Runs.Count; k++)
            Assert.Equal([sweep.Runs[k]], WorkerOutput.Trained(tasks.Single(t => t.Id == $"{array}_{k}").Log));
        Assert.Empty(WorkerOutput.Trained(collected.Log));

        Assert.All(sweep.Runs, run => Assert.True(File.Exists(sweep.Model(run)), $"expected {sweep.Model(run)} exported"));
        Assert.Equal(sweep.Runs.Order(), ReportedModels(sweep, Path.Combine("reports", sweep.Name)).Order());
        string results = Path.Combine(sweep.Folder, "results", sweep.Name);
        string page = Path.Combine(sweep.Folder, "docs", "results", "README.md");
        if (publishes)
        {
            Assert.All(sweep.Runs, run => Assert.True(RunFolder.PublishedIn(results, run).HasSummary, $"expected {run}'s records published in {results}"));
            Assert.True(File.Exists(page), $"expected the collect job to write the results page {page}:\n{collected.Log}");
        }
        else
        {
            Assert.False(Directory.Exists(results), $"{results}: a pipeline without a \"results\" folder published records");
            Assert.False(File.Exists(page), $"{page}: the collect job wrote a results page for a pipeline that publishes nothing");
        }
    }

    [SlurmFact]
    public void A_task_cancelled_mid_run_and_requeued_resumes_its_checkpoint_and_ends_bit_identical_to_one_process()
    {
        // The same run trained in one process, outside Slurm: what the requeued task's model must equal, bit for bit.
        var reference = NewSweep("fault-reference", FaultPipeline);
        string run = reference.Runs.Single();
        var (exit, printed) = PipelineProcess.Run(reference.Folder, "run", PipelineFile, "--shard", "0/1");
        Assert.True(exit == 0, printed);

        var sweep = NewSweep("fault", FaultPipeline);
        string array = SubmitArray(sweep, "sweep.sbatch", 1);
        string collect = SubmitCollect(sweep, array);
        string task = $"{array}_0";

        // Cancel the task between two checkpoints: its first epoch saved, its last not yet.
        var folder = sweep.Run(run);
        var deadline = DateTime.UtcNow + JobTimeout;
        while (!File.Exists(folder.CheckpointFile))
        {
            Assert.True(DateTime.UtcNow < deadline, $"expected {folder.CheckpointFile} within {JobTimeout}; {LocalSlurmCluster.Describe(Slurm.Jobs(task))}");
            Thread.Sleep(20);
        }
        var cancel = Slurm.Command(sweep.Folder, "scancel", task);
        Assert.True(cancel.ExitCode == 0, cancel.ToString());
        var cancelled = Slurm.WaitUntilEnded(task, JobTimeout).Single();
        Assert.True(cancelled.State == "CANCELLED", $"expected {task} CANCELLED: {cancelled}");
        Assert.False(folder.HasSummary, $"expected {run} unfinished when its task was cancelled: it finished first, so the pipeline needs more epochs");

        var requeue = Slurm.Command(sweep.Folder, "scontrol", "requeue", task);
        Assert.True(requeue.ExitCode == 0, requeue.ToString());
        var resumed = Slurm.WaitFor(task, jobs => jobs.Single() is { HasEnded: true, State: not "CANCELLED" }, "the requeued task to run again and end", JobTimeout).Single();
        Assert.True(resumed.Succeeded, LocalSlurmCluster.Describe([resumed]));
        Assert.Contains("resuming after epoch", resumed.Log);
        Assert.Equal([run], WorkerOutput.Trained(resumed.Log));
        Assert.Equal(Sha256(reference.Run(run).ModelFile), Sha256(folder.ModelFile));

        // Slurm 22.05 remembers the cancelled task in its array's afterok even once the task is requeued and done: the
        // collect job waits forever (DependencyNeverSatisfied) until pointed at the task, as deploy/README.md says.
        var waiting = Slurm.WaitFor(collect, jobs => jobs.Single() is { HasEnded: true } or { Reason: "DependencyNeverSatisfied" }, "the collect job to run or give up", JobTimeout).Single();
        output.WriteLine($"collect job after the requeued task: {waiting}");
        if (!waiting.HasEnded)
        {
            var update = Slurm.Command(sweep.Folder, "scontrol", "update", $"JobId={collect}", $"Dependency=afterok:{task}");
            Assert.True(update.ExitCode == 0, update.ToString());
        }
        var collected = Slurm.WaitUntilEnded(collect, JobTimeout).Single();
        AssertAllSucceeded([collected]);
        Assert.Equal([run], ReportedModels(sweep, Path.Combine("reports", sweep.Name)));
    }

    [SlurmFact]
    public void Two_claiming_jobs_on_one_runs_folder_train_every_run_once_between_them()
    {
        var sweep = NewSweep("claim", PlainPipeline);
        // One CPU each (the script asks for two): both workers fit the node at once, and contend for the runs.
        string array = SubmitArray(sweep, "claim.sbatch", 2, "--cpus-per-task=1");

        var workers = Slurm.WaitUntilEnded(array, JobTimeout);
        Assert.Equal(2, workers.Count);
        AssertAllSucceeded(workers);
        Assert.True(workers[0].Start < workers[1].End && workers[1].Start < workers[0].End,
            $"expected the two workers to run at the same time: {string.Join(", ", workers.Select(w => $"{w.Id} {w.Start:T}-{w.End:T}"))}");
        Assert.Equal(sweep.Runs.Order(), workers.SelectMany(w => WorkerOutput.Trained(w.Log)).Order());
        Assert.All(sweep.Runs, run => Assert.True(sweep.Run(run).IsFinished && File.Exists(sweep.Model(run)), $"expected {run} finished and exported"));
    }

    [SlurmFact]
    public void The_local_cluster_is_one_node_on_loopback_with_this_machines_cpus_and_stop_leaves_nothing_running()
    {
        var own = new LocalSlurmCluster(); // beside the class's cluster, as two users' trial clusters would be
        int[] pids;
        try
        {
            string conf = File.ReadAllText(Path.Combine(own.StateFolder, "slurm.conf"));
            Assert.DoesNotContain("SlurmctldPort=6817\n", conf); // Slurm's own ports stay free for a system-wide cluster
            Assert.DoesNotContain("SlurmdPort=6818\n", conf);
            var node = own.Command(own.StateFolder, "scontrol", "-o", "show", "node").Stdout;
            Assert.Contains("NodeAddr=127.0.0.1 ", node);
            Assert.Contains($"CPUTot={File.ReadLines("/proc/cpuinfo").Count(l => l.StartsWith("processor", StringComparison.Ordinal))} ", node);
            Assert.Contains("State=IDLE ", node);

            // A job still running when the cluster stops is cancelled with it.
            string job = own.Submit(own.StateFolder, "--output=/dev/null", "--wrap=sleep 600");
            int[] jobPids;
            var deadline = DateTime.UtcNow.AddMinutes(1);
            while ((jobPids = JobProcesses(own, job)).Length == 0)
            {
                Assert.True(DateTime.UtcNow < deadline, $"expected scontrol listpids to list job {job}'s processes within a minute: {LocalSlurmCluster.Describe(own.Jobs(job))}");
                Thread.Sleep(100);
            }
            pids = [.. new[] { "munge/munged.pid", "slurmctld.pid", "slurmd.pid" }.Select(f => int.Parse(File.ReadAllText(Path.Combine(own.StateFolder, f)).Trim())), .. jobPids];
            Assert.All(pids, pid => Assert.True(IsRunning(pid), $"expected process {pid} running"));
        }
        finally
        {
            own.Dispose(); // throws when a daemon is left
        }
        Assert.All(pids, pid => Assert.False(IsRunning(pid), $"expected process {pid} gone after {LocalSlurmCluster.Script} stop"));
    }

    /// <summary>The processes slurmd runs for the job (none before its batch script has started): the first column of scontrol listpids.</summary>
    private static int[] JobProcesses(LocalSlurmCluster slurm, string job) =>
        slurm.Command(slurm.StateFolder, "scontrol", "listpids", job).Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1) // the header
            .Select(line => int.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0])).ToArray();

    /// <summary>Whether the process exists and is not a zombie (an ended process its parent has not reaped yet).</summary>
    private static bool IsRunning(int pid)
    {
        string stat = $"/proc/{pid}/stat";
        try
        {
            string text = File.ReadAllText(stat);
            return text[(text.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }
    }
}
