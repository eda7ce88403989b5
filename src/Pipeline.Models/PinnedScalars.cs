using TorchSharp;

namespace Pipeline.Models;

/// <summary>
/// Scalars that live as long as the process, for the training loop's hot calls. An implicit conversion
/// (<c>x.div_(255f)</c>, or <c>add_(t)</c>, which passes alpha = 1) makes a temporary <see cref="Scalar"/> whose
/// managed wrapper is dead as soon as its handle is read; a garbage collection during the native call can then run
/// its finalizer, which frees the native scalar while libtorch reads it. A run of this project died that way after
/// about 70 minutes ("Expected false to be true … toDouble at c10/core/Scalar.h", from <c>div_</c>). The values
/// and their types are those of the implicit conversions they replace, so results are bit-identical.
/// </summary>
public static class PinnedScalars
{
    /// <summary>1 as an integer scalar: the alpha <c>add_(Tensor)</c> passes.</summary>
    public static Scalar One { get; } = 1;

    /// <summary>255 as a float scalar: bytes to [0, 1].</summary>
    public static Scalar ByteMax { get; } = 255f;
}
