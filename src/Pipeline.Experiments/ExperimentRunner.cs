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
    public RunFolder RunFolder(RunSpec spec) => new(Path.Combine(RunsRoot, spec.Name));

    public string ModelPath(ExperimentPipeline pipeline, RunSpec spec, bool int8) =>
        Path.Combine(ModelsRoot, pipeline.Name, spec.Name + (int8 ? ".int8.onnx" : ".onnx"));
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
public sealed record ReportWritten(ExperimentReport Report) : ExperimentEvent;

/// <summary>What a run of the experiment left: the runs it trained, the models exported, the answer and the combined report, if one was written.</summary>
public sealed record ExperimentOutcome(
    IReadOnlyList<PlannedRun> Plan,
    IReadOnlyList<(RunSpec Spec, RunSummary Summary)> Trained,
    IReadOnlyList<string> Models,
    IReadOnlyList<string> Answer,
    ExperimentReport? Report)
{
    public int ExitCode => Report?.ExitCode ?? 0;
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
            if (pipeline.Results.Length > 0 && RunFolder.PublishedIn(pipeline.Results, spec.Name).HasSummary)
                return new PlannedRun(i, spec, RunState.Published, spec.Epochs);
            if (folder.IsFinished)
                return new PlannedRun(i, spec, RunState.Finished, spec.Epochs);
            int done = folder.ReadMetrics().Count;
            return new PlannedRun(i, spec, done > 0 || File.Exists(folder.CheckpointFile) ? RunState.Partial : RunState.New, done);
        }).ToArray();

    public ExperimentOutcome Run(ExperimentPipeline pipeline, ExperimentPaths paths, CancellationToken cancellation = default)
    {
        var plan = Plan(pipeline, paths);
        progress?.Report(new PlanReady(plan));
        var exported = new List<string>();
        var trained = new List<(RunSpec, RunSummary)>();
        var todo = plan.Where(r => r.State != RunState.Published).ToArray();
        foreach (var run in plan.Where(r => r.State == RunState.Published))
            progress?.Report(new RunSkipped(run, $"published in {pipeline.Results}"));

        for (int i = 0; i < todo.Length; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            var run = todo[i];
            progress?.Report(new RunStarting(run, i + 1, todo.Length));
            var folder = paths.RunFolder(run.Spec);
            var summary = steps.Train(run.Spec, folder, cancellation);
            trained.Add((run.Spec, summary));
            progress?.Report(new RunTrained(run, summary));

            if (pipeline.Export)
            {
                string onnx = paths.ModelPath(pipeline, run.Spec, int8: false);
                steps.Export(folder, onnx, null);
                exported.Add(onnx);
                progress?.Report(new ModelExported(run, onnx, Int8: false));
                if (pipeline.Int8)
                {
                    string int8 = paths.ModelPath(pipeline, run.Spec, int8: true);
                    steps.Export(folder, int8, pipeline.Int8CalibrationPerClass);
                    exported.Add(int8);
                    progress?.Report(new ModelExported(run, int8, Int8: true));
                }
                if (pipeline.EvaluateEachRun)
                {
                    var evaluation = steps.EvaluateModel(onnx, pipeline, pipeline.Evaluate ?? new EvaluationStep());
                    folder.WriteEvaluation(evaluation);
                    progress?.Report(new ModelEvaluated(run, evaluation));
                }
            }
            if (pipeline.Results.Length > 0)
            {
                var record = folder.PublishTo(pipeline.Results); // not inside progress?.Report(…): with no listener it would never run
                progress?.Report(new RunPublished(run, record.Path));
            }
        }

        var answer = ZeroInitAnswer.For(pipeline, trained);
        ExperimentReport? report = null;
        if (pipeline.Evaluate is { } step && exported.Count > 0)
        {
            report = steps.EvaluateAll(exported, pipeline, step, paths.RunsRoot, answer);
            progress?.Report(new ReportWritten(report));
        }
        return new ExperimentOutcome(plan, trained, exported, answer, report);
    }
}
