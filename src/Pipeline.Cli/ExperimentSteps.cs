using Pipeline.Data;
using Pipeline.Evaluation;
using Pipeline.Experiments;
using Pipeline.Inference;
using Pipeline.Onnx;
using Pipeline.Reporting;

namespace Pipeline.Cli;

/// <summary>The experiment runner's steps as this tool does them: TorchSharp training on the console, ONNX export, the ML.NET evaluation.</summary>
public sealed class ExperimentSteps(string runsRoot, ComputeDevice device, ExperimentClock? clock = null) : IExperimentSteps
{
    private EvaluationSet? _set;
    private EvaluationStep? _setStep;

    public RunSummary Train(RunSpec spec, RunFolder folder, CancellationToken cancellation) =>
        TrainingConsole.Run(spec, runsRoot, cancellation, clock);

    public void Export(RunFolder run, string onnxPath, int? int8CalibrationPerClass) =>
        RunExport.Export(run.Path, onnxPath, int8CalibrationPerClass: int8CalibrationPerClass);

    public RunEvaluation EvaluateModel(string onnxPath, ExperimentPipeline pipeline, EvaluationStep step)
    {
        var set = SetOf(pipeline, step);
        var m = new ModelEvaluator(new EvaluationOptions { Device = device, ProjectVersion = ProjectVersion.Current }).Evaluate(new ModelToEvaluate(onnxPath), set);
        return new RunEvaluation(Path.GetFileName(m.ModelPath), m.ModelSha256, set.Name, set.Examples.Count, set.ExamplesFingerprint,
            m.Metrics.Top1, m.Metrics.Top5, m.Agreement?.TrainerTop1, m.ImagesPerSecond, m.Device, ProjectVersion.Current);
    }

    public ExperimentReport EvaluateAll(IReadOnlyList<string> onnxPaths, ExperimentPipeline pipeline, EvaluationStep step, string runsRoot, IReadOnlyList<string> answer)
    {
        var outcome = EvaluationJob.Run(new EvaluationJobRequest
        {
            Models = onnxPaths.Select(m => new ModelToEvaluate(m)).ToArray(),
            Set = SetOf(pipeline, step),
            ReportDirectory = step.ReportDirectory.Length > 0 ? step.ReportDirectory : Path.Combine("reports", pipeline.Name),
            HistoryPath = step.History.Length > 0 ? step.History : null,
            RunsRoot = runsRoot,
            Options = new EvaluationOptions { Device = device, ProjectVersion = ProjectVersion.Current },
            Answer = answer,
        }, Console.Out);
        return new ExperimentReport(Path.GetFullPath(outcome.Files.Html), outcome.ExitCode);
    }

    /// <summary>The step's split as the ML.NET evaluation sees it, built once per step.</summary>
    private EvaluationSet SetOf(ExperimentPipeline pipeline, EvaluationStep step)
    {
        if (_set is not null && _setStep == step)
            return _set;
        var dataset = ImageFolderDataset.OpenOrDefault(pipeline.Dataset, split: DatasetSplit.Of(pipeline.ValFraction, pipeline.SplitSeed));
        var images = DatasetOptions.SplitOf(dataset, step.Split, step.PerClassLimit > 0 ? step.PerClassLimit : null);
        (_set, _setStep) = (DatasetOptions.EvaluationSetOf(dataset, images, step.Split), step);
        return _set;
    }
}
