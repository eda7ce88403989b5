using System.Text.Json.Serialization;

namespace Pipeline.Experiments;

/// <summary>
/// One line of a run's metrics.jsonl. Accuracies are fractions (0..1); the validation fields are null for an
/// epoch the run did not validate (<see cref="RunSpec.ValidateEvery"/>). Time: the epoch's wall time split into
/// training, validation, the dynamics probe and the checkpoint write, so the cost beyond the training step is
/// visible. Memory: the peak resident set so far, and the anonymous resident memory at the end of the epoch
/// (libtorch's and .NET's heaps, without the memory-mapped image cache), and the number of live TorchSharp
/// tensors then: the count that shows whether native tensors leak from epoch to epoch (the allocator may keep
/// freed memory, so RSS alone cannot). Compare it within one run: TorchSharp's count keeps the parameters of a
/// disposed module, so it rises by a model's parameter count for every model built earlier in the process.
/// <see cref="Version"/> is the project version and commit that trained the epoch, and <see cref="Cpu"/> the CPU it trained on
/// (a resumed run may span two of either).
/// </summary>
public sealed record EpochMetrics(
    [property: JsonPropertyName("epoch")] int Epoch,
    [property: JsonPropertyName("train_loss")] double TrainLoss,
    [property: JsonPropertyName("val_loss")] double? ValLoss,
    [property: JsonPropertyName("val_top1")] double? ValTop1,
    [property: JsonPropertyName("val_top5")] double? ValTop5,
    [property: JsonPropertyName("lr")] double LearningRate,
    [property: JsonPropertyName("wall_s")] double WallSeconds,
    [property: JsonPropertyName("images_per_s")] double TrainImagesPerSecond,
    [property: JsonPropertyName("peak_rss_mib")] double PeakRssMiB,
    [property: JsonPropertyName("anon_rss_mib")] double AnonRssMiB,
    [property: JsonPropertyName("live_tensors")] long LiveTensors)
{
    [JsonPropertyName("train_s")] public double TrainSeconds { get; init; }
    [JsonPropertyName("val_s")] public double ValSeconds { get; init; }
    [JsonPropertyName("probe_s")] public double ProbeSeconds { get; init; }
    /// <summary>Null in the checkpoint's own copy of the history: the write is timed after it is made.</summary>
    [JsonPropertyName("checkpoint_s")] public double? CheckpointSeconds { get; init; }
    [JsonPropertyName("val_images_per_s")] public double? ValImagesPerSecond { get; init; }
    [JsonPropertyName("version")] public string Version { get; init; } = "";
    /// <summary><see cref="CpuFeatures.ModelName"/> where the epoch trained; null in lines from before it was recorded.</summary>
    [JsonPropertyName("cpu")] public string? Cpu { get; init; }

    [JsonIgnore]
    public bool Validated => ValTop1 is not null;
}
