namespace Pipeline.Data;

/// <summary>One image of a split.</summary>
/// <param name="Path">Absolute path of the file.</param>
/// <param name="RelativePath">Path under the dataset root with '/' separators, as in the official CSV ("val/n01440764/x.JPEG").</param>
/// <param name="Label">Index into <see cref="ImagenetteClasses.All"/>.</param>
public sealed record LabeledImage(string Path, string RelativePath, int Label);
