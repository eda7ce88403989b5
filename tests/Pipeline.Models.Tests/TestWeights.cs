using Pipeline.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Models.Tests;

/// <summary>
/// Puts a model into a "trained-looking" state without training it: every BatchNorm gets random γ, β, running
/// mean and running variance, so that code which reads or folds them (the flavour copy, the ONNX exporter's
/// BatchNorm folding) is really exercised rather than checked on the identity 1/0/0/1.
/// </summary>
internal static class TestWeights
{
    public static void RandomizeBatchNorms(ResNet model, long seed)
    {
        using var g = new Generator((ulong)seed);
        using var _ = no_grad();
        foreach (var m in model.modules())
        {
            if (m is not BatchNorm)
                continue;
            var bn = (NormBase)m;
            long c = bn.num_features;
            bn.weight!.copy_(rand(c, generator: g) * 1.5 + 0.25);         // γ in [0.25, 1.75)
            bn.bias!.copy_(randn(c, generator: g) * 0.2);                 // β
            bn.running_mean!.copy_(randn(c, generator: g) * 0.3);         // μ
            bn.running_var!.copy_(rand(c, generator: g) * 1.5 + 0.5);     // σ² in [0.5, 2)
        }
    }

    /// <summary>
    /// Sets every BatchNorm's running statistics to those of <paramref name="batch"/> (one training-mode forward
    /// with momentum 1), as training would have left them for such data, and leaves the model in eval mode.
    /// A randomly initialised network whose statistics fit the data gives image-dependent predictions, where
    /// one with the identity statistics predicts the same class for every image.
    /// </summary>
    public static void CalibrateBatchNorms(ResNet model, Tensor batch)
    {
        var norms = model.modules().OfType<NormBase>().ToList();
        var momenta = norms.Select(n => n.momentum).ToList();
        norms.ForEach(n => n.momentum = 1.0);
        model.train();
        using (no_grad())
        using (var scope = NewDisposeScope())
            model.forward(batch);
        for (int i = 0; i < norms.Count; i++)
            norms[i].momentum = momenta[i];
        model.eval();
    }
}
