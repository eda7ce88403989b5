namespace Pipeline.Training;

public enum TrainingPhase { Preparing, Training, Validating, Finished }

/// <summary>A progress report; the console tool renders it, tests ignore it.</summary>
public sealed record TrainingProgress(
    string Run,
    TrainingPhase Phase,
    int Epoch,
    int Epochs,
    long Step,
    long StepsInEpoch,
    double Loss,
    double ImagesPerSecond,
    TimeSpan Remaining,
    string? Message = null);

