using Pipeline.Experiments;
using Pipeline.Training;
using Spectre.Console;

namespace Pipeline.Cli;

/// <summary>
/// Runs a training with a live progress bar (or plain lines when output is redirected), and, inside an experiment,
/// a second bar or line for the whole experiment with its time left.
/// </summary>
public static class TrainingConsole
{
    public static RunSummary Run(RunSpec spec, string runsRoot, CancellationToken cancellation, ExperimentClock? clock = null)
    {
        string precision = spec.Precision == Precision.Auto ? CpuFeatures.AutoPrecisionChoice : spec.Precision.Name();
        AnsiConsole.MarkupLineInterpolated($"[bold]{spec.Name}[/]: {spec.Flavour}, zero-init-last {spec.EffectiveZeroInitLast}, {spec.Head} head, {spec.Recipe.Name}, {spec.ImageSize} px, {spec.Epochs} epochs, seed {spec.Seed}, {precision}{(spec.ChannelsLast ? ", channels-last" : "")}");
        RunSummary summary;
        if (AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected)
        {
            summary = AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask(spec.Name, maxValue: 1);
                    var overall = clock is null ? null : ctx.AddTask($"experiment: run {clock.Run} of {clock.Runs}", maxValue: 1);
                    return new Trainer(runsRoot, new SynchronousProgress<TrainingProgress>(p => Render(p, task, overall, clock))).Run(spec, cancellation);
                });
        }
        else
        {
            var lines = new PlainLines(clock);
            summary = new Trainer(runsRoot, new SynchronousProgress<TrainingProgress>(lines.Print)).Run(spec, cancellation);
        }
        var folder = RunFolder.For(runsRoot, spec);
        AnsiConsole.MarkupLineInterpolated($"[green]done[/]: val top-1 {summary.FinalValTop1:P2} after {summary.Epochs} epochs ({summary.WallSeconds / 60:F1} min). Run folder: {DisplayPath.Of(folder.Path)}");
        return summary;
    }

    private static RunPosition PositionOf(TrainingProgress p) => new(p.Epoch, p.Epochs, p.Step, p.StepsInEpoch, p.Remaining);

    private static void Render(TrainingProgress p, ProgressTask task, ProgressTask? overall, ExperimentClock? clock)
    {
        if (p.Message is { } message)
            AnsiConsole.MarkupLineInterpolated($"  {message}");
        if (p.Phase == TrainingPhase.Training && p.StepsInEpoch > 0)
        {
            task.Value = ((p.Epoch - 1) + (double)p.Step / p.StepsInEpoch) / p.Epochs;
            task.Description = $"epoch {p.Epoch}/{p.Epochs} step {p.Step}/{p.StepsInEpoch} loss {p.Loss:F3} {p.ImagesPerSecond:F0} img/s";
            if (overall is not null && clock is not null)
                overall.Value = clock.Fraction(PositionOf(p));
        }
        else if (p.Phase == TrainingPhase.Validating && p.Message is null)
        {
            task.Description = $"epoch {p.Epoch}/{p.Epochs} validating {p.Step}/{p.StepsInEpoch}";
        }
    }

    /// <summary>Plain output for logs and CI: every message, and a training line at most every 10 s.</summary>
    private sealed class PlainLines(ExperimentClock? clock)
    {
        private DateTime _last = DateTime.MinValue;

        public void Print(TrainingProgress p)
        {
            if (p.Message is { } message)
            {
                Console.WriteLine($"  {message}");
            }
            else if (p.Phase == TrainingPhase.Training && (DateTime.UtcNow - _last).TotalSeconds >= 10)
            {
                _last = DateTime.UtcNow;
                string overall = clock is null ? "" : $"; experiment: run {clock.Run} of {clock.Runs}, {clock.Fraction(PositionOf(p)):P0}, ~{DurationText.Of(clock.Remaining(PositionOf(p)))} left";
                Console.WriteLine($"  epoch {p.Epoch}/{p.Epochs} step {p.Step}/{p.StepsInEpoch} loss {p.Loss:F4} {p.ImagesPerSecond:F1} img/s, ~{DurationText.Of(p.Remaining)} left{overall}");
            }
        }
    }
}

/// <summary>IProgress that reports on the caller's thread (Progress&lt;T&gt; would post to the thread pool out of order).</summary>
public sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
