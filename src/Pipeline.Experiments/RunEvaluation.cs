using System.Text.Json.Serialization;

namespace Pipeline.Experiments;

/// <summary>
/// A run folder's evaluation.json: the run's exported float model scored by the ML.NET pipeline, kept with the run
/// so the score outlives the model file (an experiment's published record has no weights).
/// </summary>
/// <param name="TrainerTop1">The trainer's final val top-1 as the model's metadata quotes it (null when it does not).</param>
public sealed record RunEvaluation(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("model_sha256")] string ModelSha256,
    [property: JsonPropertyName("set")] string Set,
    [property: JsonPropertyName("examples")] int Examples,
    [property: JsonPropertyName("examples_fingerprint")] string ExamplesFingerprint,
    [property: JsonPropertyName("top1")] double Top1,
    [property: JsonPropertyName("top5")] double Top5,
    [property: JsonPropertyName("trainer_top1")] double? TrainerTop1,
    [property: JsonPropertyName("images_per_s")] double ImagesPerSecond,
    [property: JsonPropertyName("device")] string Device,
    [property: JsonPropertyName("version")] string Version);
