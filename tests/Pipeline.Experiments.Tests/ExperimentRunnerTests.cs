namespace Pipeline.Experiments.Tests;

/// <summary>The experiment's orchestration with fake steps: what is trained, exported, scored and published, in which order.</summary>
public sealed class ExperimentRunnerTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("experiment-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private ExperimentPaths Paths => new(Path.Combine(_root, "runs"), Path.Combine(_root, "models"));

    private ExperimentPipeline Pipeline(bool int8 = false, bool eachRun = false, bool results = false) => new()
    {
        Name = "exp",
        Variants = [new Variant(ResNetFlavour.Torchvision, false), new Variant(ResNetFlavour.Torchvision, true)],
        Seeds = [1, 2],
        ImageSize = 64,
        Epochs = [2],
        Int8 = int8,
        EvaluateEachRun = eachRun,
        Results = results ? Path.Combine(_root, "results") : "",
    };

    /// <summary>Writes what the real steps would leave (summary, weights, model files), and logs every call.</summary>
    private sealed class FakeSteps : IExperimentSteps
    {
        public List<string> Calls { get; } = [];
        public IReadOnlyList<string> ReportAnswer { get; private set; } = [];

        /// <summary>Runs whose loss becomes non-finite in their second epoch, as the trainer reports it.</summary>
        public HashSet<string> Diverging { get; } = [];

        public RunSummary Train(RunSpec spec, RunFolder folder, CancellationToken cancellation)
        {
            Calls.Add($"train {spec.Name}");
            if (Diverging.Contains(spec.Name))
            {
                folder.WriteSpec(spec);
                folder.WriteProgress([new EpochMetrics(1, 1, 1, 0.5, 0.9, 1e-3, 10, 300, 1, 1, 1)], []);
                throw new TrainingDivergedException($"Run '{spec.Name}': the training loss became NaN at epoch 2.", 2, "training loss");
            }
            var summary = new RunSummary(spec.Name, spec.Epochs, 0.5 + spec.Seed / 100.0, 0.9, 0.5, 10, 300, "fp", "sha");
            folder.WriteSpec(spec);
            folder.WriteProgress([new EpochMetrics(1, 1, 1, 0.5, 0.9, 1e-3, 10, 300, 1, 1, 1)], []);
            folder.WriteSummary(spec, summary, folder.ReadMetrics());
            File.WriteAllBytes(folder.ModelFile, [1, 2, 3]);
            return summary;
        }

        public void Export(RunFolder run, string onnxPath, int? int8CalibrationPerClass)
        {
            Calls.Add($"export {Path.GetFileName(onnxPath)}");
            Directory.CreateDirectory(Path.GetDirectoryName(onnxPath)!);
            File.WriteAllText(onnxPath, "onnx");
        }

        public RunEvaluation EvaluateModel(string onnxPath, ExperimentPipeline pipeline, EvaluationStep step)
        {
            Calls.Add($"evaluate {Path.GetFileName(onnxPath)}");
            return new RunEvaluation(Path.GetFileName(onnxPath), "sha", "val", 40, "ef", 0.55, 0.9, 0.5, 100, "CPU", "v");
        }

        public ExperimentReport EvaluateAll(IReadOnlyList<string> onnxPaths, ExperimentPipeline pipeline, EvaluationStep step, string runsRoot, IReadOnlyList<string> answer)
        {
            Calls.Add($"report {onnxPaths.Count}");
            ReportAnswer = answer;
            return new ExperimentReport(Path.Combine(_root(runsRoot), "report.html"), 0);
            static string _root(string runs) => Path.GetDirectoryName(runs)!;
        }
    }

    [Fact]
    public void A_diverged_run_is_published_as_a_result_the_others_train_and_it_is_never_trained_again()
    {
        var steps = new FakeSteps();
        var pipeline = Pipeline(eachRun: true, results: true);
        string diverging = pipeline.Runs().First().Name;
        steps.Diverging.Add(diverging);
        var events = new List<ExperimentEvent>();

        var outcome = new ExperimentRunner(steps, new Inline(events.Add)).Run(pipeline, Paths);

        Assert.Equal(4, steps.Calls.Count(c => c.StartsWith("train ", StringComparison.Ordinal)));
        Assert.Equal(3, outcome.Trained.Count);
        Assert.DoesNotContain($"export {diverging}.onnx", steps.Calls);
        var divergence = Assert.Single(events.OfType<RunDiverged>()).Divergence;
        Assert.Equal((diverging, 2, "training loss"), (divergence.Name, divergence.Epoch, divergence.Loss));
        Assert.Equal(CpuFeatures.ModelName, divergence.Cpu);
        var published = RunFolder.PublishedIn(pipeline.Results, diverging);
        Assert.True(published.HasDiverged && !published.HasSummary);
        Assert.Equal(divergence, published.ReadDivergence());
        Assert.Single(published.ReadMetrics()); // the epochs before it, for the page
        Assert.False(pipeline.IsPublished(pipeline.Runs().First()));

        steps.Calls.Clear();
        var again = new ExperimentRunner(steps).Run(pipeline, Paths);
        Assert.DoesNotContain(steps.Calls, c => c.StartsWith("train ", StringComparison.Ordinal));
        Assert.Equal(RunState.Diverged, again.Plan[0].State);
        Assert.Equal(0, again.ExitCode);

        // A collection after workers: the diverged run is not missing, and has nothing to export.
        var collected = new ExperimentRunner(steps).Collect(pipeline, Paths);
        Assert.Empty(collected.Missing);
        Assert.Equal(3, collected.Models.Count);
    }

    [Fact]
    public void Each_run_is_trained_then_exported_in_the_pipelines_order_and_all_models_go_into_one_report()
    {
        var steps = new FakeSteps();
        var events = new List<ExperimentEvent>();
        var outcome = new ExperimentRunner(steps, new Inline(events.Add)).Run(Pipeline(int8: true), Paths);

        Assert.Equal(
            ["train exp-torchvision-zi0-fastai-s1", "export exp-torchvision-zi0-fastai-s1.onnx", "export exp-torchvision-zi0-fastai-s1.int8.onnx",
             "train exp-torchvision-zi1-fastai-s1", "export exp-torchvision-zi1-fastai-s1.onnx", "export exp-torchvision-zi1-fastai-s1.int8.onnx",
             "train exp-torchvision-zi0-fastai-s2", "export exp-torchvision-zi0-fastai-s2.onnx", "export exp-torchvision-zi0-fastai-s2.int8.onnx",
             "train exp-torchvision-zi1-fastai-s2", "export exp-torchvision-zi1-fastai-s2.onnx", "export exp-torchvision-zi1-fastai-s2.int8.onnx",
             "report 8"],
            steps.Calls);
        Assert.Equal(8, outcome.Models.Count);
        Assert.All(outcome.Models, m => Assert.StartsWith(Path.Combine(_root, "models", "exp") + Path.DirectorySeparatorChar, m));
        Assert.IsType<PlanReady>(events[0]);
        Assert.Equal([1, 2, 3, 4], events.OfType<RunStarting>().Select(e => e.Position));
        Assert.IsType<ReportWritten>(events[^1]);
        Assert.Equal(0, outcome.ExitCode);
        // Both flags were trained: the outcome and the report carry the answer.
        Assert.Equal(4, outcome.Trained.Count);
        Assert.Contains(outcome.Answer, l => l.Contains("costs", StringComparison.Ordinal));
        Assert.Equal(outcome.Answer, steps.ReportAnswer);
    }

    [Fact]
    public void Each_run_scored_on_its_own_keeps_its_score_and_its_published_record_is_never_trained_again()
    {
        var first = new FakeSteps();
        new ExperimentRunner(first).Run(Pipeline(eachRun: true, results: true), Paths);
        Assert.Equal(4, first.Calls.Count(c => c.StartsWith("evaluate", StringComparison.Ordinal)));
        var record = RunFolder.PublishedIn(Path.Combine(_root, "results"), "exp-torchvision-zi1-fastai-s2");
        Assert.Equal(0.55, record.ReadEvaluation()!.Top1);
        Assert.False(File.Exists(record.ModelFile));

        // A new machine: the runs folder is gone, the published records stay (they are committed).
        Directory.Delete(Path.Combine(_root, "runs"), recursive: true);
        var again = new FakeSteps();
        var outcome = new ExperimentRunner(again).Run(Pipeline(eachRun: true, results: true), Paths);
        Assert.Empty(again.Calls);
        Assert.All(outcome.Plan, r => Assert.Equal(RunState.Published, r.State));
        Assert.Null(outcome.Report);
    }

    [Fact]
    public void A_new_run_that_would_train_in_another_precision_than_a_published_one_is_refused_by_name()
    {
        var pipeline = Pipeline(results: true);
        var first = pipeline.Runs().First();
        // What auto picks on the other kind of machine (with or without native bf16).
        var elsewhere = first with { Precision = CpuFeatures.HasNativeBf16 ? Precision.Fp32 : Precision.Bf16 };
        var record = RunFolder.PublishedIn(pipeline.Results, first.Name);
        record.WriteSpec(elsewhere);
        record.WriteSummary(elsewhere, new RunSummary(first.Name, 2, 0.5, 0.9, 0.5, 10, 300, "fp", "sha"), []);
        var steps = new FakeSteps();

        var error = Assert.Throws<RunSpecException>(() => new ExperimentRunner(steps).Run(pipeline, Paths));

        Assert.Empty(steps.Calls);
        Assert.Contains(record.SpecFile, error.Message, StringComparison.Ordinal);
        Assert.Contains("exp-torchvision-zi1-fastai-s1 would train in", error.Message, StringComparison.Ordinal);

        // Published in the precision this machine trains in: the other three runs are trained.
        record.WriteSpec(first.ForThisMachine());
        new ExperimentRunner(steps).Run(pipeline, Paths);
        Assert.Equal(3, steps.Calls.Count(c => c.StartsWith("train", StringComparison.Ordinal)));
    }

    [Fact]
    public void The_plan_says_where_each_run_stands()
    {
        var pipeline = Pipeline();
        var specs = pipeline.Runs().ToList();
        new FakeSteps().Train(specs[0], Paths.RunFolder(specs[0]), default);
        var partial = Paths.RunFolder(specs[1]);
        partial.WriteSpec(specs[1]);
        partial.WriteProgress([new EpochMetrics(1, 1, 1, 0.5, 0.9, 1e-3, 10, 300, 1, 1, 1)], []);

        var plan = ExperimentRunner.Plan(pipeline, Paths);

        Assert.Equal([RunState.Finished, RunState.Partial, RunState.New, RunState.New], plan.Select(r => r.State));
        Assert.Equal([2, 1, 0, 0], plan.Select(r => r.EpochsDone));
        Assert.Equal([0, 1, 2, 3], plan.Select(r => r.Index));
    }

    [Fact]
    public void Shards_divide_the_plan_between_workers_and_a_worker_leaves_the_report_to_the_collector()
    {
        var pipeline = Pipeline(eachRun: true, results: true);
        var shard0 = new FakeSteps();
        var shard1 = new FakeSteps();
        var outcome0 = new ExperimentRunner(shard0).Run(pipeline, Paths, RunSelection.ParseShard("0/2"));
        var outcome1 = new ExperimentRunner(shard1).Run(pipeline, Paths, RunSelection.ParseShard("1/2"));

        Assert.Equal(["exp-torchvision-zi0-fastai-s1", "exp-torchvision-zi0-fastai-s2"], outcome0.Trained.Select(t => t.Spec.Name));
        Assert.Equal(["exp-torchvision-zi1-fastai-s1", "exp-torchvision-zi1-fastai-s2"], outcome1.Trained.Select(t => t.Spec.Name));
        Assert.DoesNotContain(shard0.Calls.Concat(shard1.Calls), c => c.StartsWith("report", StringComparison.Ordinal));
        Assert.Null(outcome0.Report);
        Assert.Throws<RunSpecException>(() => RunSelection.ParseShard("2/2"));
        Assert.Throws<RunSpecException>(() => RunSelection.ParseShard("one"));
    }

    [Fact]
    public void The_collector_names_missing_runs_and_reports_once_every_run_is_finished()
    {
        var pipeline = Pipeline(int8: true);
        new ExperimentRunner(new FakeSteps()).Run(pipeline, Paths, RunSelection.ParseShard("0/2"));
        var early = new FakeSteps();
        var incomplete = new ExperimentRunner(early).Collect(pipeline, Paths);
        Assert.Equal(["exp-torchvision-zi1-fastai-s1", "exp-torchvision-zi1-fastai-s2"], incomplete.Missing.Select(m => m.Spec.Name));
        Assert.Equal(1, incomplete.ExitCode);
        Assert.Empty(early.Calls);

        new ExperimentRunner(new FakeSteps()).Run(pipeline, Paths, RunSelection.ParseShard("1/2"));
        File.Delete(Paths.ModelPath(pipeline, pipeline.Runs().First(), int8: true)); // one model lost since: exported again, the rest kept
        var collector = new FakeSteps();
        var outcome = new ExperimentRunner(collector).Collect(pipeline, Paths);
        Assert.Empty(outcome.Missing);
        Assert.Equal(["export exp-torchvision-zi0-fastai-s1.int8.onnx", "report 8"], collector.Calls);
        Assert.Contains(outcome.Answer, l => l.Contains("costs", StringComparison.Ordinal));
    }

    [Fact]
    public void A_run_another_worker_holds_is_skipped_and_taken_once_it_is_released()
    {
        var pipeline = Pipeline();
        var first = pipeline.Runs().First();
        var events = new List<ExperimentEvent>();
        using (var held = RunLock.TryTake(Paths.RunFolder(first), out _))
        {
            Assert.NotNull(held);
            Assert.Null(RunLock.TryTake(Paths.RunFolder(first), out string holder));
            Assert.Contains($"pid {Environment.ProcessId}", holder);
            var steps = new FakeSteps();
            new ExperimentRunner(steps, new Inline(events.Add)).Run(pipeline, Paths, new RunSelection.Claim());
            Assert.DoesNotContain($"train {first.Name}", steps.Calls);
            Assert.Equal(3, steps.Calls.Count(c => c.StartsWith("train", StringComparison.Ordinal)));
            Assert.Contains(events.OfType<RunSkipped>(), s => s.Run.Spec.Name == first.Name && s.Reason.Contains("another worker", StringComparison.Ordinal));
        }
        var later = new FakeSteps();
        new ExperimentRunner(later).Run(pipeline, Paths, new RunSelection.Claim());
        Assert.Equal([$"train {first.Name}", $"export {first.Name}.onnx"], later.Calls);
    }

    private sealed class Inline(Action<ExperimentEvent> report) : IProgress<ExperimentEvent>
    {
        public void Report(ExperimentEvent value) => report(value);
    }
}
