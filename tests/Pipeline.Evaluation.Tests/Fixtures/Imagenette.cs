using Pipeline.Inference;

namespace Pipeline.Evaluation.Tests.Fixtures;

/// <summary>The shared Imagenette copy (read-only) and small val slices of it.</summary>
public static class Imagenette
{
    public static readonly string[] Wnids =
    [
        "n01440764", "n02102040", "n02979186", "n03000684", "n03028079",
        "n03394916", "n03417042", "n03425413", "n03445777", "n03888257",
    ];

    public static IReadOnlyList<ModelClass> Classes { get; } = Wnids.Select(w => new ModelClass(w, w)).ToArray();

    /// <summary>The Imagenette copy every part finds the same way: $PIPELINE_DATA, or ../shared/data/imagenette-224 beside the repository.</summary>
    public static string Root { get; } = Pipeline.Data.ImageFolderDataset.FindDefaultRoot()
        ?? throw new DirectoryNotFoundException($"Imagenette not found: set {Pipeline.Data.ImageFolderDataset.RootVariable} to the imagenette-224 folder.");

    /// <summary>The first <paramref name="perClass"/> val images of each class, in name order.</summary>
    public static EvaluationSet ValSlice(int perClass) =>
        EvaluationSet.Create($"val[{perClass}/class]", Wnids,
            Wnids.SelectMany(w => Directory.GetFiles(Path.Combine(Root, "val", w)).Order(StringComparer.Ordinal).Take(perClass)
                .Select(f => new LabeledExample(f, w))).ToArray(),
            datasetFingerprint: "imagenette-224-test");
}
