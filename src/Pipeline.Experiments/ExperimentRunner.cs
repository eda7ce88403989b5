namespace Pipeline.Experiments;

/// <summary>
/// What an experiment needs from the parts that do the work (TorchSharp training, the ONNX exporter, the ML.NET
/// evaluation), none of which this project references: the command-line tool plugs them in, tests plug in fakes.
/// </summary>
public interface IExperimentSteps
{
    /// <summary>Trains <paramref name="spec"/> to the end in <paramref name="folder"/>: resumes its checkpoint, returns at once when it is finished.</summary>
    RunSummary Train(RunSpec spec, RunFolder folder, CancellationToken cancellation);

    /// <summary>Writes the finished run's model to <paramref name="onnxPath"/> (+ model card); int8, calibrated on that many training images per class, when given.</summary>
    void Export(RunFolder run, string onnxPath, int? int8CalibrationPerClass);

    /// <summary>Scores one exported model with the ML.NET pipeline on <paramref name="step"/>'s split.</summary>
    RunEvaluation EvaluateModel(string onnxPath, ExperimentPipeline pipeline, EvaluationStep step);

    /// <summary>Scores the models together into one report (and the history, if the step keeps one) that opens with <paramref name="answer"/>.</summary>
    ExperimentReport EvaluateAll(IReadOnlyList<string> onnxPaths, ExperimentPipeline pipeline, EvaluationStep step, string runsRoot, IReadOnlyList<string> answer);
}

/// <summary>Where the combined report went, and the exit code it implies (<c>3</c>: a regression against the history).</summary>
public sealed record ExperimentReport(string HtmlPath, int ExitCode);

/// <summary>Where an experiment's run folders and models go: models under &lt;models&gt;/&lt;pipeline&gt;/.</summary>
public sealed record ExperimentPaths(string RunsRoot, string ModelsRoot)
{
    public RunFolder RunFolder(RunSpec spec) => Experiments.RunFolder.For(RunsRoot, spec);

    public string ModelPath(ExperimentPipeline pipeline, RunSpec spec, bool int8) =>
        Path.Combine(ModelsRoot, pipeline.Name, spec.Name + (int8 ? ".int8.onnx" : ".onnx"));
}

/// <summary>
/// Which of the plan's runs this process takes, so that N identical workers can share a sweep on the engine that
/// starts them (a Kubernetes Indexed Job, a CI matrix, a Slurm array): all of them; a fixed share (every N-th run,
/// from the I-th); or whichever no other worker holds, run after run, which balances uneven run lengths.
/// </summary>
public abstract record RunSelection
{
    public static RunSelection All { get; } = new AllRuns();

    public abstract bool Includes(PlannedRun run);

    /// <summary>A worker of a sweep trains and publishes; the combined report waits for <c>--collect</c>.</summary>
    public bool IsWorker => this is not AllRuns;

    private sealed record AllRuns : RunSelection
    {
        public override bool Includes(PlannedRun run) => true;
    }

    /// <summary>Runs whose plan index is <paramref name="Index"/> modulo <paramref name="Count"/>; with one worker per run, exactly run Index.</summary>
    public sealed record Shard(int Index, int Count) : RunSelection
    {
        public override bool Includes(PlannedRun run) => run.Index % Count == Index;
    }

    /// <summary>Every run, each taken only if no other worker holds it.</summary>
    public sealed record Claim : RunSelection
    {
        public override bool Includes(PlannedRun run) => true;
    }

    /// <summary>Reads <c>I/N</c> (0 ≤ I &lt; N), the form a job index and a job count give it.</summary>
    /// <exception cref="RunSpecException">Not of that form.</exception>
    public static Shard ParseShard(string text)
    {
        var parts = text.Split('/');
        if (parts.Length == 2 && int.TryParse(parts[0], out int index) && int.TryParse(parts[1], out int count) && count > 0 && index >= 0 && index < count)
            return new Shard(index, count);
        throw new RunSpecException($"--shard {text}: give I/N with 0 <= I < N, e.g. --shard 0/4 for the first of four workers (a job index and a job count).");
    }
}

/// <summary>How far a planned run is.</summary>
public enum RunState
{
    /// <summary>Not started (no checkpoint).</summary>
    New,
    /// <summary>Started: it resumes from its last checkpoint.</summary>
    Partial,
    /// <summary>Trained, with its weights in the runs folder.</summary>
    Finished,
    /// <summary>Its record is in the pipeline's results folder: nothing left to do.</summary>
    Published,
    /// <summary>Stopped when a loss became non-finite (its diverged.json, here or published): a result, not trained again.</summary>
    Diverged,
}

/// <summary>One run of an experiment's plan, where it stands.</summary>
public sealed record PlannedRun(int Index, RunSpec Spec, RunState State, int EpochsDone);

/// <summary>Something the runner did; the command-line tool renders these.</summary>
public abstract record ExperimentEvent;
public sealed record PlanReady(IReadOnlyList<PlannedRun> Runs) : ExperimentEvent;
public sealed record RunSkipped(PlannedRun Run, string Reason) : ExperimentEvent;
public sealed record RunStarting(PlannedRun Run, int Position, int Count) : ExperimentEvent;
public sealed record RunTrained(PlannedRun Run, RunSummary Summary) : ExperimentEvent;
public sealed record ModelExported(PlannedRun Run, string Path, bool Int8) : ExperimentEvent;
public sealed record ModelEvaluated(PlannedRun Run, RunEvaluation Evaluation) : ExperimentEvent;
public sealed record RunPublished(PlannedRun Run, string Folder) : ExperimentEvent;
public sealed record RunDiverged(PlannedRun Run, RunDivergence Divergence) : ExperimentEvent;
public sealed record ReportWritten(ExperimentReport Report) : ExperimentEvent;

/// <summary>
/// What a run of the experiment left: the runs it trained, the models exported, the answer and the combined report,
/// if one was written; for a collection, the runs still missing (then nothing is reported).
/// </summary>
public sealed record ExperimentOutcome(
    IReadOnlyList<PlannedRun> Plan,
    IReadOnlyList<(RunSpec Spec, RunSummary Summary)> Trained,
    IReadOnlyList<string> Models,
    IReadOnlyList<string> Answer,
    ExperimentReport? Report)
{
    public IReadOnlyList<PlannedRun> Missing { get; init; } = [];

    public int ExitCode => Missing.Count > 0 ? 1 : Report?.ExitCode ?? 0;
}

/// <summary>
/// Runs an experiment pipeline: plans its runs, and for each one not published yet trains it (an interrupted run
/// resumes), exports it, scores it on its own if the pipeline asks, and publishes its record; then scores every model
/// exported together into one report. Running it again skips what is done.
/// </summary>
public sealed class ExperimentRunner(IExperimentSteps steps, IProgress<ExperimentEvent>? progress = null)
{
    /// <summary>The pipeline's runs in its order (<see cref="ExperimentPipeline.Runs"/>), each with where it stands.</summary>
    public static IReadOnlyList<PlannedRun> Plan(ExperimentPipeline pipeline, ExperimentPaths paths) =>
        pipeline.Runs().Select((spec, i) =>
        {
            var folder = paths.RunFolder(spec);
            if (folder.HasDiverged || pipeline.HasPublishedDivergence(spec))
                return new PlannedRun(i, spec, RunState.Diverged, folder.ReadMetrics().Count);
            if (pipeline.IsPublished(spec))
                return new PlannedRun(i, spec, RunState.Published, spec.Epochs);
            if (folder.IsFinished)
                return new PlannedRun(i, spec, RunState.Finished, spec.Epochs);
            int done = folder.ReadMetrics().Count;
            return new PlannedRun(i, spec, done > 0 || File.Exists(folder.CheckpointFile) ? RunState.Partial : RunState.New, done);
        }).ToArray();

    /// <param name="selection">The runs this process takes (<see cref="RunSelection.All"/>: a single process does the whole experiment and its report).</param>
    public ExperimentOutcome Run(ExperimentPipeline pipeline, ExperimentPaths paths, RunSelection? selection = null, CancellationToken cancellation = default)
    {
        selection ??= RunSelection.All;
        var plan = Plan(pipeline, paths);
        progress?.Report(new PlanReady(plan));
        var exported = new List<string>();
        var trained = new List<(RunSpec, RunSummary)>();
        var mine = plan.Where(selection.Includes).ToArray();
        foreach (var run in mine.Where(r => r.State == RunState.Published))
            progress?.Report(new RunSkipped(run, $"published in {pipeline.Results}"));
        // A worker leaves runs another worker finished to --collect; a single process exports and scores them again for its report.
        foreach (var run in mine.Where(r => r.State == RunState.Finished && selection.IsWorker))
            progress?.Report(new RunSkipped(run, "finished earlier"));
        foreach (var run in mine.Where(r => r.State == RunState.Diverged))
            progress?.Report(new RunSkipped(run, "diverged earlier: a result, not trained again (its diverged.json)"));
        var todo = mine.Where(r => r.State is not (RunState.Published or RunState.Diverged) && !(r.State == RunState.Finished && selection.IsWorker)).ToArray();
        RefuseASecondPrecision(pipeline, paths, plan, todo);

        for (int i = 0; i < todo.Length; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            var run = todo[i];
            var folder = paths.RunFolder(run.Spec);
            using var claim = RunLock.TryTake(folder, out string holder);
            if (claim is null)
            {
                progress?.Report(new RunSkipped(run, $"being trained by another worker ({holder})"));
                continue;
            }
            // Between the plan and the claim another worker may have finished the run.
            if (pipeline.IsPublished(run.Spec) || folder.HasDiverged || (selection.IsWorker && folder.IsFinished))
            {
                progress?.Report(new RunSkipped(run, folder.HasDiverged ? "diverged under another worker" : "finished by another worker"));
                continue;
            }
            progress?.Report(new RunStarting(run, i + 1, todo.Length));
            RunSummary summary;
            try
            {
                summary = steps.Train(run.Spec, folder, cancellation);
            }
            catch (TrainingDivergedException diverged)
            {
                RecordDivergence(pipeline, run, folder, diverged.Record(run.Spec));
                continue;
            }
            trained.Add((run.Spec, summary));
            progress?.Report(new RunTrained(run, summary));
            exported.AddRange(Deliver(pipeline, paths, run, folder, exportAgain: true));
        }

        var answer = ZeroInitAnswer.For(pipeline, trained);
        ExperimentReport? report = null;
        if (!selection.IsWorker && pipeline.Evaluate is { } step && exported.Count > 0)
        {
            report = steps.EvaluateAll(exported, pipeline, step, paths.RunsRoot, answer);
            progress?.Report(new ReportWritten(report));
        }
        return new ExperimentOutcome(plan, trained, exported, answer, report);
    }

    /// <summary>A diverged run is a result: its diverged.json goes into the run folder and, with its config and metrics, into the published records.</summary>
    private void RecordDivergence(ExperimentPipeline pipeline, PlannedRun run, RunFolder folder, RunDivergence divergence)
    {
        folder.WriteDivergence(divergence);
        progress?.Report(new RunDiverged(run, divergence));
        Publish(pipeline, run, folder);
    }

    /// <summary>Copies the run's record files into the pipeline's results, if it publishes any.</summary>
    private void Publish(ExperimentPipeline pipeline, PlannedRun run, RunFolder folder)
    {
        if (pipeline.Results.Length > 0)
            progress?.Report(new RunPublished(run, folder.PublishTo(pipeline.Results).Path));
    }

    /// <summary>
    /// The runs of an experiment are compared with each other, so a new run must train in the precision the runs
    /// already trained did. With <see cref="Precision.Auto"/> that depends on the machine: without this check, a
    /// machine lacking native bf16 would quietly add fp32 runs (4x slower, other numerics) to a bf16 experiment.
    /// </summary>
    /// <exception cref="RunSpecException">A new run would train in another precision than a run already trained; names both and the fix.</exception>
    private static void RefuseASecondPrecision(ExperimentPipeline pipeline, ExperimentPaths paths, IReadOnlyList<PlannedRun> plan, IReadOnlyList<PlannedRun> todo)
    {
        var fresh = todo.FirstOrDefault(r => r.State == RunState.New);
        if (fresh is null)
            return;
        var precision = fresh.Spec.ForThisMachine().Precision;
        foreach (var run in plan.Where(r => r.State != RunState.New))
        {
            var folder = run.State == RunState.Published ? RunFolder.PublishedIn(pipeline.Results, run.Spec.Name) : paths.RunFolder(run.Spec);
            if (!File.Exists(folder.SpecFile))
                continue;
            var trained = folder.ReadSpec().ForThisMachine().Precision;
            if (trained != precision)
                throw new RunSpecException(
                    $"{pipeline.Name}: {run.Spec.Name} trained in {trained.Name()} ({folder.SpecFile}), but {fresh.Spec.Name} would train in " +
                    $"{precision.Name()} here ({(fresh.Spec.Precision == Precision.Auto ? CpuFeatures.AutoPrecisionChoice : "set by the pipeline")}). " +
                    $"The runs of one experiment are compared with each other, so they share a precision: run it on a machine where it trains in {trained.Name()}, " +
                    "or give the pipeline another name and an explicit \"precision\" to start a separate experiment.");
        }
    }

    /// <summary>
    /// The final step of a sweep, once its workers are done: exports what is not exported yet, scores and publishes
    /// what is not yet, and writes the combined report over every model; trains nothing. When runs are missing it
    /// does nothing and names them.
    /// </summary>
    public ExperimentOutcome Collect(ExperimentPipeline pipeline, ExperimentPaths paths)
    {
        var plan = Plan(pipeline, paths);
        progress?.Report(new PlanReady(plan));
        var missing = plan.Where(r => r.State is RunState.New or RunState.Partial).ToArray();
        if (missing.Length > 0)
            return new ExperimentOutcome(plan, [], [], [], null) { Missing = missing };

        var models = new List<string>();
        var finished = new List<(RunSpec, RunSummary)>();
        foreach (var run in plan)
        {
            var folder = paths.RunFolder(run.Spec);
            if (run.State == RunState.Diverged)
            {
                if (folder.HasDiverged && !pipeline.HasPublishedDivergence(run.Spec))
                    Publish(pipeline, run, folder);
                progress?.Report(new RunSkipped(run, "diverged: a result, with no model to export"));
                continue;
            }
            // Workers publish as they finish: a run published and trained in this runs folder still has its weights here.
            if (folder.IsFinished)
            {
                finished.Add((run.Spec, folder.ReadSummary()));
                models.AddRange(Deliver(pipeline, paths, run, folder, exportAgain: false));
            }
            else
            {
                finished.Add((run.Spec, RunFolder.PublishedIn(pipeline.Results, run.Spec.Name).ReadSummary()));
                progress?.Report(new RunSkipped(run, $"published in {pipeline.Results}, trained elsewhere: no weights here to export"));
            }
        }
        var answer = ZeroInitAnswer.For(pipeline, finished);
        ExperimentReport? report = null;
        if (pipeline.Evaluate is { } step && models.Count > 0)
        {
            report = steps.EvaluateAll(models, pipeline, step, paths.RunsRoot, answer);
            progress?.Report(new ReportWritten(report));
        }
        return new ExperimentOutcome(plan, [], models, answer, report);
    }

    /// <summary>Exports a trained run (float, and int8 if asked), scores it on its own if asked, publishes its record; returns the models.</summary>
    /// <param name="exportAgain">Export even when the model file exists (a run just trained); else only what is missing.</param>
    private List<string> Deliver(ExperimentPipeline pipeline, ExperimentPaths paths, PlannedRun run, RunFolder folder, bool exportAgain)
    {
        var models = new List<string>();
        if (pipeline.Export)
        {
            foreach (bool int8 in pipeline.Int8 ? new[] { false, true } : [false])
            {
                string onnx = paths.ModelPath(pipeline, run.Spec, int8);
                if (exportAgain || !File.Exists(onnx))
                {
                    steps.Export(folder, onnx, int8 ? pipeline.Int8CalibrationPerClass : null);
                    progress?.Report(new ModelExported(run, onnx, int8));
                }
                models.Add(onnx);
            }
            if (pipeline.EvaluateEachRun && (exportAgain || folder.ReadEvaluation() is null))
            {
                var evaluation = steps.EvaluateModel(models[0], pipeline, pipeline.Evaluate ?? new EvaluationStep());
                folder.WriteEvaluation(evaluation);
                progress?.Report(new ModelEvaluated(run, evaluation));
            }
        }
        if (pipeline.Results.Length > 0)
        {
            var record = folder.PublishTo(pipeline.Results); // not inside progress?.Report(…): with no listener it would never run
            progress?.Report(new RunPublished(run, record.Path));
        }
        return models;
    }
}
