using System.Text.Json.Serialization;

namespace Pipeline.Experiments;

/// <summary>
/// One residual block measured on a batch: the mean |γ| of the branch's last BatchNorm (the γ zero-init-last sets to
/// zero), and the norms (over the whole batch) of the branch's output and of the skip path's.
/// </summary>
/// <param name="Block">PyTorch's name of the block: <c>layer1.0</c> … <c>layer4.1</c>.</param>
public sealed record ResidualBlockReading(
    [property: JsonPropertyName("block")] string Block,
    [property: JsonPropertyName("gamma_abs_mean")] double LastGammaMeanAbs,
    [property: JsonPropertyName("branch_norm")] double BranchNorm,
    [property: JsonPropertyName("shortcut_norm")] double ShortcutNorm)
{
    /// <summary>‖branch‖ / ‖shortcut‖: 0 while the block is the identity, about 1 when the branch is as loud as the skip.</summary>
    [JsonPropertyName("contribution")]
    public double Contribution => ShortcutNorm > 0 ? BranchNorm / ShortcutNorm : double.NaN;
}
