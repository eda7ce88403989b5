using System.Text.RegularExpressions;
using Pipeline.Experiments;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Models;

/// <summary>
/// Why a state dict does not fit a model: the missing, unexpected and wrong-shape keys, with what the file seems to hold
/// (another depth, another classifier, another stem) and the option that fixes it.
/// </summary>
public sealed class StateDictMismatchException(string message) : Exception(message);

/// <summary>
/// Initialises a <see cref="ResNet"/> from a PyTorch state dict (<see cref="StateDictFile"/>): torchvision's and timm's
/// ResNet18/34/50 names are this project's, so their checkpoints load as they are. Every parameter and buffer of the model
/// must come from the file, with its shape, except the classifier when it is re-initialised (<c>newHead</c>: the model keeps
/// the head its seeded init made for the dataset's classes) and BatchNorm's <c>num_batches_tracked</c>, which PyTorch itself
/// lets a file leave out. Anything else is one error listing every missing, unexpected and wrong-shape key.
/// </summary>
public static class PretrainedWeights
{
    /// <summary>Whether a state-dict key belongs to the classifier: a library head's <c>fc</c> or fastai's <c>head</c>.</summary>
    public static bool IsHeadKey(string key) => key.StartsWith("fc.", StringComparison.Ordinal) || key.StartsWith("head.", StringComparison.Ordinal);

    /// <summary>Loads <paramref name="path"/> into <paramref name="model"/>; returns how many tensors were loaded.</summary>
    /// <exception cref="StateDictMismatchException">The file does not fit the model; the message lists every key at fault and the fix.</exception>
    /// <exception cref="InvalidDataException">The file is not a readable state dict.</exception>
    public static int Load(ResNet model, string path, bool newHead)
    {
        using var scope = NewDisposeScope();
        var file = StateDictFile.Read(path);
        var target = model.state_dict();
        bool Skipped(string key) => newHead && IsHeadKey(key);
        static bool Optional(string key) => key.EndsWith(".num_batches_tracked", StringComparison.Ordinal);

        var missing = target.Keys.Where(k => !file.ContainsKey(k) && !Skipped(k) && !Optional(k)).ToList();
        var unexpected = file.Keys.Where(k => !target.ContainsKey(k) && !Skipped(k)).Order(StringComparer.Ordinal).ToList();
        var wrongShape = target.Where(p => !Skipped(p.Key) && file.TryGetValue(p.Key, out var t) && !t.shape.SequenceEqual(p.Value.shape))
            .Select(p => $"{p.Key} {Shape(file[p.Key])} in the file, {Shape(p.Value)} here").ToList();
        if (missing.Count + unexpected.Count + wrongShape.Count > 0)
            throw new StateDictMismatchException(MismatchMessage(model.Config, path, file, missing, unexpected, wrongShape, newHead));

        int loaded = 0;
        using (no_grad())
        {
            foreach (var (key, tensor) in target)
            {
                if (Skipped(key) || !file.TryGetValue(key, out var source))
                    continue;
                tensor.copy_(source.to(tensor.dtype));
                loaded++;
            }
        }
        foreach (var t in file.Values)
            t.Dispose();
        return loaded;
    }

    private static string Shape(Tensor t) => $"[{string.Join(", ", t.shape)}]";

    private static string MismatchMessage(ResNetConfig config, string path, IReadOnlyDictionary<string, Tensor> file,
        List<string> missing, List<string> unexpected, List<string> wrongShape, bool newHead)
    {
        var hints = new List<string>();
        if (file.ContainsKey("conv1.0.weight"))
            hints.Add("its stem is a deep stem (conv1.0, conv1.1, …: timm's resnet18d/34d/50d and kin), which this project does not build: start from a plain ResNet's weights (torchvision's, or timm's resnet18/34/50)");
        if (ArchOf(file) is { } arch && arch != config.Arch)
            hints.Add($"it holds a {arch.Name()}, this run a {config.Arch.Name()}: train with --arch {arch.Name()}");
        string? fileHead = file.Keys.Any(k => k.StartsWith("head.", StringComparison.Ordinal)) ? "fastai" : file.ContainsKey("fc.weight") ? "library" : null;
        string modelHead = config.Head.ToString().ToLowerInvariant();
        if (!newHead && fileHead is not null && fileHead != modelHead)
            hints.Add($"its classifier is a {fileHead} head and this run's a {modelHead} head: train with --head {fileHead} to load it, or --new-head to start a new one for this dataset");
        else if (!newHead && wrongShape.Count > 0 && wrongShape.All(w => IsHeadKey(w)))
            hints.Add($"its classifier has {Outputs(file)} outputs and this dataset {config.NumClasses} classes: --new-head re-initialises the classifier for them");

        string List(string what, List<string> keys) => keys.Count == 0 ? "" :
            $" {keys.Count} {what}: {string.Join("; ", keys.Take(12))}{(keys.Count > 12 ? $"; … and {keys.Count - 12} more" : "")}.";
        return $"{path} does not fit this run's {config.Arch.Name()} ({config.Flavour.ToString().ToLowerInvariant()}, {modelHead} head, {config.NumClasses} classes" +
               $"{(newHead ? ", new head" : "")}):" + List("missing key(s)", missing) + List("unexpected key(s)", unexpected) + List("wrong shape(s)", wrongShape) +
               (hints.Count > 0 ? $" The file: {string.Join("; ", hints)}." : " Start from the weights of a torchvision or timm ResNet18, 34 or 50.");
    }

    /// <summary>The depth a state dict's blocks describe (blocks per stage, bottleneck or basic), or null when they match none.</summary>
    private static ResNetArch? ArchOf(IReadOnlyDictionary<string, Tensor> file)
    {
        var blocks = new int[4];
        bool bottleneck = false;
        foreach (string key in file.Keys)
        {
            var m = Regex.Match(key, @"^layer([1-4])\.(\d+)\.(conv3)?");
            if (!m.Success)
                continue;
            int stage = int.Parse(m.Groups[1].Value) - 1;
            blocks[stage] = Math.Max(blocks[stage], int.Parse(m.Groups[2].Value) + 1);
            bottleneck |= m.Groups[3].Success;
        }
        return Enum.GetValues<ResNetArch>().Cast<ResNetArch?>().FirstOrDefault(a =>
            ResNetLayout.For(a!.Value) is var layout && layout.Stages.Select(s => s.Blocks).SequenceEqual(blocks) && (layout.Kind == BlockKind.Bottleneck) == bottleneck);
    }

    private static string Outputs(IReadOnlyDictionary<string, Tensor> file) =>
        file.Where(p => IsHeadKey(p.Key) && p.Key.EndsWith(".weight", StringComparison.Ordinal) && p.Value.dim() == 2)
            .OrderBy(p => p.Key, StringComparer.Ordinal).LastOrDefault().Value?.shape[0].ToString() ?? "another number of";
}
