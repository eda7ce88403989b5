namespace Pipeline.Experiments;

/// <summary>
/// The one format of run names: [&lt;pipeline&gt;-]&lt;flavour&gt;-zi&lt;0|1&gt;-&lt;head&gt;[-e&lt;epochs&gt;]-s&lt;seed&gt;,
/// e.g. <c>reference-timm-zi1-fastai-s42</c>: what a run is, readable in a folder listing.
/// </summary>
public static class RunNames
{
    /// <param name="prefix">The pipeline's name; null for a run trained on its own.</param>
    /// <param name="epochs">Included when a pipeline trains several lengths; null otherwise.</param>
    public static string For(string? prefix, ResNetConfig model, int seed, int? epochs = null) =>
        (prefix is null ? "" : prefix + "-")
        + $"{model.Flavour.ToString().ToLowerInvariant()}-zi{(model.ZeroInitLast ? 1 : 0)}-{model.Head.ToString().ToLowerInvariant()}"
        + (epochs is { } e ? $"-e{e}" : "")
        + $"-s{seed}";
}
