using System.Security.Cryptography;
using System.Text;

namespace Pipeline.Data;

/// <summary>
/// How a dataset without train/ and val/ folders is split: a stated fraction of each class's images goes to val, chosen
/// by a seeded hash of each image's path (fastai's <c>valid_pct</c> and <c>seed</c>). The same folder, fraction and seed
/// give the same split on every machine and in every command, so a model is scored on images it did not train on.
/// </summary>
/// <param name="ValFraction">The share of each class held out for validation, above 0 and below 1.</param>
/// <param name="Seed">Which split of that size.</param>
public sealed record DatasetSplit(double ValFraction, int Seed = 0)
{
    /// <summary>The split a run or plan file states (its valFraction and splitSeed), or null when it states none.</summary>
    public static DatasetSplit? Of(double? valFraction, int seed) => valFraction is { } f ? new DatasetSplit(f, seed) : null;

    /// <exception cref="DatasetException">The fraction leaves nothing to train or to validate on.</exception>
    internal void ThrowIfInvalid(string root)
    {
        if (!(ValFraction > 0 && ValFraction < 1))
            throw new DatasetException($"{root}: a validation fraction of {ValFraction} leaves no images to {(ValFraction <= 0 ? "validate" : "train")} on. Give a fraction between 0 and 1, 0.2 say.", root);
    }

    /// <summary>
    /// Per class, the images ordered by the SHA-256 of (seed, relative path); the first round(n × fraction) go to val, at
    /// least one and never all of them. A class of one image stays in train (and the index warns that val lacks it).
    /// </summary>
    internal (List<IndexedFile> Train, List<IndexedFile> Val) Apply(IReadOnlyList<IndexedFile> files)
    {
        var train = new List<IndexedFile>();
        var val = new List<IndexedFile>();
        foreach (var group in files.GroupBy(f => f.FolderLabel))
        {
            var ordered = group.OrderBy(f => Key(f.RelativePath), StringComparer.Ordinal).ToArray();
            int n = ordered.Length;
            int held = Math.Clamp((int)Math.Round(n * ValFraction, MidpointRounding.AwayFromZero), n >= 2 ? 1 : 0, n - 1);
            val.AddRange(ordered.Take(held));
            train.AddRange(ordered.Skip(held));
        }
        train.Sort((a, b) => string.CompareOrdinal(a.RelativePath, b.RelativePath));
        val.Sort((a, b) => string.CompareOrdinal(a.RelativePath, b.RelativePath));
        return (train, val);
    }

    private string Key(string relativePath) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{Seed}\n{relativePath}")));

    public override string ToString() => $"{ValFraction:0.###} of each class held out for val (seed {Seed})";
}
