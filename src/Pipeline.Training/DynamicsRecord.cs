using System.Text.Json.Serialization;
using Pipeline.Models;

namespace Pipeline.Training;

/// <summary>
/// One line of a run's dynamics.jsonl: how far each residual branch has woken up at one point of training.
/// Blocks are read on a fixed probe batch of validation images (the same images in every run of a size), in
/// eval mode; gradient norms are per parameter group (stem, layer1 … layer4, head) and averaged over
/// <see cref="GradSteps"/> optimizer steps ending at this point (null before the first step).
/// </summary>
public sealed record DynamicsRecord(
    [property: JsonPropertyName("step")] long Step,
    [property: JsonPropertyName("epoch")] double Epoch,
    [property: JsonPropertyName("blocks")] IReadOnlyList<BlockDynamics> Blocks,
    [property: JsonPropertyName("grad_norms")] IReadOnlyDictionary<string, double>? GradNorms,
    [property: JsonPropertyName("grad_steps")] int GradSteps);

/// <summary>One residual block at one point (see <see cref="ResidualBlockReading"/>).</summary>
public sealed record BlockDynamics(
    [property: JsonPropertyName("block")] string Block,
    [property: JsonPropertyName("gamma_abs_mean")] double LastGammaMeanAbs,
    [property: JsonPropertyName("branch_norm")] double BranchNorm,
    [property: JsonPropertyName("shortcut_norm")] double ShortcutNorm,
    [property: JsonPropertyName("contribution")] double Contribution)
{
    public static BlockDynamics From(ResidualBlockReading r) =>
        new(r.Block, r.LastGammaMeanAbs, r.BranchNorm, r.ShortcutNorm, r.Contribution);
}
