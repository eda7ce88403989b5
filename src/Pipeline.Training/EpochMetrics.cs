using System.Text.Json.Serialization;

namespace Pipeline.Training;

/// <summary>
/// One line of a run's metrics.jsonl. Accuracies are fractions (0..1). Memory: the peak resident set so far,
/// and the anonymous resident memory at the end of the epoch (libtorch's and .NET's heaps, without the
/// memory-mapped image cache), and the number of live TorchSharp tensors then: the count that shows whether
/// native tensors leak from epoch to epoch (the allocator may keep freed memory, so RSS alone cannot). Compare it
/// within one run: TorchSharp's count keeps the parameters of a disposed module, so it rises by a model's
/// parameter count for every model built earlier in the process.
/// </summary>
public sealed record EpochMetrics(
    [property: JsonPropertyName("epoch")] int Epoch,
    [property: JsonPropertyName("train_loss")] double TrainLoss,
    [property: JsonPropertyName("val_loss")] double ValLoss,
    [property: JsonPropertyName("val_top1")] double ValTop1,
    [property: JsonPropertyName("val_top5")] double ValTop5,
    [property: JsonPropertyName("lr")] double LearningRate,
    [property: JsonPropertyName("wall_s")] double WallSeconds,
    [property: JsonPropertyName("images_per_s")] double TrainImagesPerSecond,
    [property: JsonPropertyName("peak_rss_mib")] double PeakRssMiB,
    [property: JsonPropertyName("anon_rss_mib")] double AnonRssMiB,
    [property: JsonPropertyName("live_tensors")] long LiveTensors);
