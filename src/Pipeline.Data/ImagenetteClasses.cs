namespace Pipeline.Data;

/// <summary>One Imagenette class: its ImageNet WordNet id, its label index, and a readable name.</summary>
public sealed record ImagenetteClass(string Wnid, int Index, string Name);

/// <summary>
/// The one class table of the project. Label index = position in sorted-wnid order, which is what
/// torchvision's <c>ImageFolder</c> and fastai both assign, so labels line up with theirs.
/// </summary>
public static class ImagenetteClasses
{
    public static IReadOnlyList<ImagenetteClass> All { get; } =
    [
        new("n01440764", 0, "tench"),
        new("n02102040", 1, "English springer"),
        new("n02979186", 2, "cassette player"),
        new("n03000684", 3, "chain saw"),
        new("n03028079", 4, "church"),
        new("n03394916", 5, "French horn"),
        new("n03417042", 6, "garbage truck"),
        new("n03425413", 7, "gas pump"),
        new("n03445777", 8, "golf ball"),
        new("n03888257", 9, "parachute"),
    ];

    private static readonly Dictionary<string, int> s_indexByWnid = All.ToDictionary(c => c.Wnid, c => c.Index, StringComparer.Ordinal);

    /// <summary>The label index of <paramref name="wnid"/>, or -1 when it is not an Imagenette class.</summary>
    public static int IndexOf(string wnid) => s_indexByWnid.GetValueOrDefault(wnid, -1);
}
