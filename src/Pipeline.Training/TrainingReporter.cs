namespace Pipeline.Training;

/// <summary>The progress reports of one run, for whoever listens (the console tool renders them; tests ignore them).</summary>
internal sealed class TrainingReporter(string run, int epochs, IProgress<TrainingProgress>? progress)
{
    public void Preparing(int epoch, string message) => Report(TrainingPhase.Preparing, epoch, 0, 0, 0, message: message);

    public void Training(int epoch, long step, long steps, double loss, double imagesPerSecond, TimeSpan remaining) =>
        progress?.Report(new TrainingProgress(run, TrainingPhase.Training, epoch, epochs, step, steps, loss, imagesPerSecond, remaining));

    public void Validating(int epoch, long step, long steps, double loss) => Report(TrainingPhase.Validating, epoch, step, steps, loss);

    public void EpochDone(int epoch, long steps, double loss, string message) => Report(TrainingPhase.Validating, epoch, steps, steps, loss, message);

    public void Finished(double loss, string message) => Report(TrainingPhase.Finished, epochs, 0, 0, loss, message);

    private void Report(TrainingPhase phase, int epoch, long step, long steps, double loss, string? message = null) =>
        progress?.Report(new TrainingProgress(run, phase, epoch, epochs, step, steps, loss, 0, TimeSpan.Zero, message));
}
