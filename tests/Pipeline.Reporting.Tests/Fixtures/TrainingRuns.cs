using Pipeline.Experiments;

namespace Pipeline.Reporting.Tests.Fixtures;

/// <summary>Training-run folders written through <see cref="RunFolder"/>, the writer the trainer uses: the same keys, the same files.</summary>
public static class TrainingRuns
{
    public static string Write(string runsRoot, string name, double[] valTop1, double resizeScale = 1.125)
    {
        var folder = new RunFolder(Path.Combine(runsRoot, name));
        Directory.CreateDirectory(folder.Path);
        folder.WriteSpec(new RunSpec
        {
            Name = name,
            Flavour = ResNetFlavour.Timm,
            ImageSize = 64,
            Epochs = valTop1.Length,
            RecipeOverride = Recipe.FastaiReference with { ResizeScale = resizeScale },
        });
        folder.WriteProgress(
            valTop1.Select((top1, i) => new EpochMetrics(i + 1, 2.2 - 0.1 * i, 2.0 - 0.1 * i, top1, Math.Min(1, top1 + 0.3), 0.1, 30 * (i + 1), 310.5, 900, 700, 554)),
            Enumerable.Range(0, valTop1.Length + 1).Select(e => new DynamicsRecord(e * 10, e, [new ResidualBlockReading("layer1.0", 0.1 * e, e, 4)], null, 0)));
        return folder.Path;
    }
}
