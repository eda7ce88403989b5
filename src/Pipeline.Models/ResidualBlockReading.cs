namespace Pipeline.Models;

/// <summary>
/// One residual block measured on a batch: the norms (over the whole batch) of its branch output and of its
/// skip path, and the mean |γ| of the branch's last BatchNorm, the γ zero-init-last sets to zero.
/// </summary>
/// <param name="Block">PyTorch's name of the block: <c>layer1.0</c> … <c>layer4.1</c>.</param>
public sealed record ResidualBlockReading(string Block, double BranchNorm, double ShortcutNorm, double LastGammaMeanAbs)
{
    /// <summary>‖branch‖ / ‖shortcut‖: 0 while the block is the identity, about 1 when the branch is as loud as the skip.</summary>
    public double Contribution => ShortcutNorm > 0 ? BranchNorm / ShortcutNorm : double.NaN;
}
