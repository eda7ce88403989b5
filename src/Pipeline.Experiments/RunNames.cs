namespace Pipeline.Experiments;

/// <summary>
/// The one format of run names:
/// [&lt;pipeline&gt;-][&lt;arch&gt;-]&lt;flavour&gt;-zi&lt;0|1&gt;-&lt;head&gt;[-lr&lt;peak lr&gt;][-e&lt;epochs&gt;]-s&lt;seed&gt;,
/// e.g. <c>reference-timm-zi1-fastai-s42</c> or <c>zero-init-depth-resnet50-torchvision-zi1-fastai-s42</c>: what a run
/// is, readable in a folder listing. The depth is named unless it is ResNet18, so names from before depths existed
/// stay the names of the same runs.
/// </summary>
public static class RunNames
{
    /// <param name="prefix">The pipeline's name; null for a run trained on its own.</param>
    /// <param name="epochs">Included when a pipeline trains several lengths; null otherwise.</param>
    /// <param name="lrMax">Included when a pipeline sets the peak learning rate itself; null otherwise.</param>
    public static string For(string? prefix, ResNetConfig model, int seed, int? epochs = null, double? lrMax = null) =>
        (prefix is null ? "" : prefix + "-")
        + (model.Arch == ResNetArch.ResNet18 ? "" : model.Arch.Name() + "-")
        + $"{model.Flavour.ToString().ToLowerInvariant()}-zi{(model.ZeroInitLast ? 1 : 0)}-{model.Head.ToString().ToLowerInvariant()}"
        + (lrMax is { } lr ? "-lr" + lr.ToString("R", System.Globalization.CultureInfo.InvariantCulture) : "")
        + (epochs is { } e ? $"-e{e}" : "")
        + $"-s{seed}";
}
