using System.Security.Cryptography;
using System.Text;

namespace Pipeline.Evaluation;

/// <summary>One labelled image: where it is and the id of its class (an ImageNet wnid for Imagenette).</summary>
public sealed record LabeledExample(string ImagePath, string ClassId);

/// <summary>
/// The images a run evaluates, with the dataset's class list. The evaluation needs nothing else
/// from the dataset index, so it does not depend on it: the command line builds this from
/// <c>ImageFolderDataset.Val</c>.
/// </summary>
public sealed record EvaluationSet
{
    /// <summary>A short name for reports ("imagenette-224/val", "val[:200]").</summary>
    public required string Name { get; init; }

    /// <summary>The dataset's class ids. A model must have exactly these classes (in any order).</summary>
    public required IReadOnlyList<string> ClassIds { get; init; }

    public required IReadOnlyList<LabeledExample> Examples { get; init; }

    /// <summary>
    /// Identifies exactly these examples: a hash of the class list and of each (class folder/file
    /// name, label), the same wherever the folder is. Evaluations are comparable only when it matches.
    /// </summary>
    public required string ExamplesFingerprint { get; init; }

    /// <summary>The fingerprint of the whole dataset the examples come from (the index's), or "" when unknown.</summary>
    public string DatasetFingerprint { get; init; } = "";

    /// <summary>
    /// What the dataset index warned about (files skipped, a class missing, files the labels CSV does not list):
    /// the report records them next to the scores they may explain.
    /// </summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    public static EvaluationSet Create(string name, IReadOnlyList<string> classIds, IReadOnlyList<LabeledExample> examples, string datasetFingerprint = "") =>
        new()
        {
            Name = name,
            ClassIds = classIds,
            Examples = examples,
            ExamplesFingerprint = Fingerprint(classIds, examples),
            DatasetFingerprint = datasetFingerprint,
        };

    private static string Fingerprint(IReadOnlyList<string> classIds, IReadOnlyList<LabeledExample> examples)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes(string.Join('\n', classIds) + "\n\n"));
        foreach (var e in examples)
        {
            string file = Path.GetFileName(e.ImagePath);
            string folder = Path.GetFileName(Path.GetDirectoryName(e.ImagePath) ?? "");
            sha.AppendData(Encoding.UTF8.GetBytes($"{folder}/{file}\t{e.ClassId}\n"));
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
