namespace Pipeline.Data;

/// <summary>
/// Imagenette's ten classes: ImageNet WordNet ids as folders, with readable names, from its classes file
/// (<c>Imagenette/classes.csv</c>, embedded). An Imagenette copy (a folder with <c>noisy_imagenette.csv</c>) uses it when
/// it has no <c>classes.csv</c> of its own. Sorted-wnid order: tench = 0 … parachute = 9.
/// </summary>
public static class ImagenetteClasses
{
    /// <summary>The table as a classes file, the form any dataset's readable names take.</summary>
    public const string ResourceName = "Pipeline.Data.Imagenette.classes.csv";

    public static ClassTable All { get; } = Load();

    private static ClassTable Load()
    {
        using var stream = typeof(ImagenetteClasses).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"{ResourceName} is not embedded in Pipeline.Data (a build problem).");
        using var reader = new StreamReader(stream);
        var lines = reader.ReadToEnd().Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        return ClassTable.Of(ClassesFile.Parse(lines, ResourceName), ResourceName);
    }

    /// <summary>The lines of Imagenette's classes file, to write a <c>classes.csv</c> for a copy or a subset.</summary>
    public static IEnumerable<string> ClassesFileLines(IEnumerable<string>? wnids = null) =>
        ["folder,name", .. All.Where(c => wnids is null || wnids.Contains(c.Id)).Select(c => $"{c.Id},{c.Name}")];
}
