using System.Text.Json.Serialization;

namespace Pipeline.Experiments;

/// <summary>
/// One line of a run's dynamics.jsonl: how far each residual branch has woken up at one point of training.
/// Blocks are read on a fixed probe batch of validation images (the same images in every run of a size), in
/// eval mode; gradient norms are per parameter group (stem, layer1 … layer4, head) and averaged over
/// <see cref="GradSteps"/> optimizer steps ending at this point (null before the first step).
/// </summary>
/// <param name="Epoch">Training progress in epochs (optimizer steps / steps per epoch): 0 at initialisation.</param>
public sealed record DynamicsRecord(
    [property: JsonPropertyName("step")] long Step,
    [property: JsonPropertyName("epoch")] double Epoch,
    [property: JsonPropertyName("blocks")] IReadOnlyList<ResidualBlockReading> Blocks,
    [property: JsonPropertyName("grad_norms")] IReadOnlyDictionary<string, double>? GradNorms,
    [property: JsonPropertyName("grad_steps")] int GradSteps);
