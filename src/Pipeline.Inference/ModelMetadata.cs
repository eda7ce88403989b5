using System.Globalization;
using System.Text.Json;

namespace Pipeline.Inference;

/// <summary>One class of the model's output, in output order.</summary>
public sealed record ModelClass(string Id, string Name);

/// <summary>
/// What an exported model says about itself in ONNX <c>metadata_props</c>, so a consumer needs
/// nothing else (timm's <c>pretrained_cfg</c>, carried inside the file). The exporter writes it with
/// <see cref="ToProperties"/>; the ML.NET evaluation and the inference library read it with
/// <see cref="FromProperties"/>.
/// </summary>
/// <remarks>
/// The graph's input is what ML.NET's <c>LoadImages → ResizeImages(IsoCrop) → ExtractPixels</c> gives:
/// float32 [batch, 3, <see cref="InputHeight"/>, <see cref="InputWidth"/>], planar RGB in 0..255.
/// The graph itself centre-crops to <see cref="CropSize"/>, scales and normalises.
/// </remarks>
public sealed record ModelMetadata
{
    public const string FormatVersion = "1";

    public required IReadOnlyList<ModelClass> Classes { get; init; }
    /// <summary>Side the image is resized to (short side, then centre-cropped square): the graph's input.</summary>
    public required int InputWidth { get; init; }
    public required int InputHeight { get; init; }
    /// <summary>Centre crop taken inside the graph: the network's own input size.</summary>
    public required int CropSize { get; init; }
    /// <summary>Resize policy before the graph: "IsoCrop" (ML.NET ResizingKind: short side to the target, centre crop).</summary>
    public string ResizePolicy { get; init; } = "IsoCrop";
    /// <summary>Range of the pixels the graph expects, "0-255".</summary>
    public string PixelRange { get; init; } = "0-255";
    /// <summary>Per-channel mean and std applied inside the graph after scaling to 0..1 (identity: 0 and 1).</summary>
    public required IReadOnlyList<float> Mean { get; init; }
    public required IReadOnlyList<float> Std { get; init; }
    /// <summary>The network's depth as PyTorch names it: resnet18 (files exported before depths existed), resnet34, resnet50.</summary>
    public string Architecture { get; init; } = "resnet18";
    public required string Flavour { get; init; }
    public required bool ZeroInitLast { get; init; }
    public required string Head { get; init; }
    public string Recipe { get; init; } = "";
    public int Epochs { get; init; }
    public int Seed { get; init; }
    /// <summary>Trainer's val top-1 (0..1) at export; NaN when unknown.</summary>
    public double ValTop1 { get; init; } = double.NaN;
    public string DatasetFingerprint { get; init; } = "";
    public string CheckpointSha256 { get; init; } = "";
    public string ProjectVersion { get; init; } = "";
    /// <summary>Run folder the model came from, when known (reports read its learning curves).</summary>
    public string RunName { get; init; } = "";
    /// <summary>How the graph was quantized ("" for float32), e.g. int8 QDQ and what it was calibrated on.</summary>
    public string Quantization { get; init; } = "";
    /// <summary>The SHA-256 of the PyTorch state dict the run started from; "" for a model trained from scratch.</summary>
    public string InitWeightsSha256 { get; init; } = "";

    // ONNX graph names, fixed so consumers need not look them up.
    public const string InputName = "pixels";
    public const string LogitsName = "logits";
    public const string ProbabilitiesName = "probabilities";

    private static class Keys
    {
        public const string Format = "pipeline.format";
        public const string Classes = "pipeline.classes";
        public const string InputWidth = "pipeline.input_width";
        public const string InputHeight = "pipeline.input_height";
        public const string CropSize = "pipeline.crop_size";
        public const string Resize = "pipeline.resize";
        public const string PixelRange = "pipeline.pixel_range";
        public const string Mean = "pipeline.mean";
        public const string Std = "pipeline.std";
        public const string Architecture = "pipeline.architecture";
        public const string Flavour = "pipeline.flavour";
        public const string ZeroInitLast = "pipeline.zero_init_last";
        public const string Head = "pipeline.head";
        public const string Recipe = "pipeline.recipe";
        public const string Epochs = "pipeline.epochs";
        public const string Seed = "pipeline.seed";
        public const string ValTop1 = "pipeline.val_top1";
        public const string Dataset = "pipeline.dataset_fingerprint";
        public const string Checkpoint = "pipeline.checkpoint_sha256";
        public const string Version = "pipeline.project_version";
        public const string Run = "pipeline.run";
        public const string Quantization = "pipeline.quantization";
        public const string InitWeights = "pipeline.init_weights_sha256";
    }

    /// <summary>
    /// Why images labelled with <paramref name="datasetClassIds"/> cannot score this model: its classes are another set
    /// (both lists named, and what only one of them has); null when they are the same classes, in any order.
    /// </summary>
    public string? ClassListDifference(IReadOnlyCollection<string> datasetClassIds, string datasetName)
    {
        var modelIds = Classes.Select(c => c.Id).ToArray();
        var onlyInDataset = datasetClassIds.Except(modelIds, StringComparer.Ordinal).ToArray();
        var onlyInModel = modelIds.Except(datasetClassIds, StringComparer.Ordinal).ToArray();
        if (onlyInDataset.Length == 0 && onlyInModel.Length == 0 && modelIds.Length == datasetClassIds.Count)
            return null;
        static string List(IReadOnlyCollection<string> ids, int max = 20) =>
            ids.Count <= max ? string.Join(", ", ids) : $"{string.Join(", ", ids.Take(max))}, … ({ids.Count} in all)";
        return $"the model has {modelIds.Length} classes ({List(modelIds)}) but the dataset '{datasetName}' has {datasetClassIds.Count} ({List(datasetClassIds)}): " +
               $"it was trained for another class list{(onlyInDataset.Length > 0 ? $"; only the dataset has {List(onlyInDataset)}" : "")}" +
               $"{(onlyInModel.Length > 0 ? $"; only the model has {List(onlyInModel)}" : "")}. " +
               "Score it on the dataset it was trained on (that folder as --data), or train a model on this one.";
    }

    public IReadOnlyDictionary<string, string> ToProperties()
    {
        var inv = CultureInfo.InvariantCulture;
        var properties = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            [Keys.Format] = FormatVersion,
            [Keys.Classes] = JsonSerializer.Serialize(Classes.Select(c => new[] { c.Id, c.Name })),
            [Keys.InputWidth] = InputWidth.ToString(inv),
            [Keys.InputHeight] = InputHeight.ToString(inv),
            [Keys.CropSize] = CropSize.ToString(inv),
            [Keys.Resize] = ResizePolicy,
            [Keys.PixelRange] = PixelRange,
            [Keys.Mean] = string.Join(",", Mean.Select(v => v.ToString("R", inv))),
            [Keys.Std] = string.Join(",", Std.Select(v => v.ToString("R", inv))),
            [Keys.Architecture] = Architecture,
            [Keys.Flavour] = Flavour,
            [Keys.ZeroInitLast] = ZeroInitLast ? "true" : "false",
            [Keys.Head] = Head,
            [Keys.Recipe] = Recipe,
            [Keys.Epochs] = Epochs.ToString(inv),
            [Keys.Seed] = Seed.ToString(inv),
            [Keys.ValTop1] = double.IsNaN(ValTop1) ? "" : ValTop1.ToString("R", inv),
            [Keys.Dataset] = DatasetFingerprint,
            [Keys.Checkpoint] = CheckpointSha256,
            [Keys.Version] = ProjectVersion,
            [Keys.Run] = RunName,
            [Keys.Quantization] = Quantization,
        };
        if (InitWeightsSha256.Length > 0) // written only where it says something: models trained from scratch keep their bytes
            properties[Keys.InitWeights] = InitWeightsSha256;
        return properties;
    }

    /// <summary>Reads the metadata; <paramref name="source"/> names the file in errors.</summary>
    /// <exception cref="InvalidDataException">A required key is missing or malformed.</exception>
    public static ModelMetadata FromProperties(IReadOnlyDictionary<string, string> props, string source)
    {
        var inv = CultureInfo.InvariantCulture;
        string Get(string key) => props.TryGetValue(key, out var v) && v.Length > 0
            ? v
            : throw new InvalidDataException(
                $"{source}: ONNX metadata '{key}' is missing. The file was not exported by this project's `export` command " +
                "(or by an older version): re-export it, or give the preprocessing and class list explicitly.");
        string Opt(string key) => props.TryGetValue(key, out var v) ? v : "";
        int Int(string key) => int.TryParse(Get(key), NumberStyles.Integer, inv, out var v) ? v
            : throw new InvalidDataException($"{source}: ONNX metadata '{key}' = '{props[key]}' is not an integer.");
        float[] Floats(string key)
        {
            string[] parts = Get(key).Split(',');
            var values = new float[parts.Length];
            for (int i = 0; i < parts.Length; i++)
            {
                if (!float.TryParse(parts[i], NumberStyles.Float, inv, out values[i]) || !float.IsFinite(values[i]))
                    throw new InvalidDataException($"{source}: ONNX metadata '{key}' = '{props[key]}' is not a comma-separated list of numbers. Re-export the model.");
            }
            return values;
        }
        double Fraction(string key) => Opt(key) is { Length: > 0 } text
            ? double.TryParse(text, NumberStyles.Float, inv, out var v) && v is >= 0 and <= 1 ? v
                : throw new InvalidDataException($"{source}: ONNX metadata '{key}' = '{text}' is not a fraction between 0 and 1. Re-export the model.")
            : double.NaN;

        string[]?[] classes;
        try
        {
            classes = JsonSerializer.Deserialize<string[]?[]>(Get(Keys.Classes)) ?? [];
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{source}: ONNX metadata '{Keys.Classes}' is not a JSON list of [id, name] pairs: {ex.Message}");
        }
        int bad = Array.FindIndex(classes, c => c is not ([{ Length: > 0 }] or [{ Length: > 0 }, not null]));
        if (bad >= 0)
        {
            throw new InvalidDataException(
                $"{source}: ONNX metadata '{Keys.Classes}' entry {bad} ({JsonSerializer.Serialize(classes[bad])}) is not an [id, name] pair of strings. Re-export the model.");
        }

        return new ModelMetadata
        {
            Classes = classes.Select(c => new ModelClass(c![0], c.Length > 1 ? c[1] : c[0])).ToArray(),
            InputWidth = Int(Keys.InputWidth),
            InputHeight = Int(Keys.InputHeight),
            CropSize = Int(Keys.CropSize),
            ResizePolicy = Get(Keys.Resize),
            PixelRange = Get(Keys.PixelRange),
            Mean = Floats(Keys.Mean),
            Std = Floats(Keys.Std),
            Architecture = Opt(Keys.Architecture) is { Length: > 0 } arch ? arch : "resnet18",
            Flavour = Get(Keys.Flavour),
            ZeroInitLast = Get(Keys.ZeroInitLast) == "true",
            Head = Get(Keys.Head),
            Recipe = Opt(Keys.Recipe),
            Epochs = int.TryParse(Opt(Keys.Epochs), NumberStyles.Integer, inv, out var epochs) ? epochs : 0,
            Seed = int.TryParse(Opt(Keys.Seed), NumberStyles.Integer, inv, out var s) ? s : 0,
            ValTop1 = Fraction(Keys.ValTop1),
            DatasetFingerprint = Opt(Keys.Dataset),
            CheckpointSha256 = Opt(Keys.Checkpoint),
            ProjectVersion = Opt(Keys.Version),
            RunName = Opt(Keys.Run),
            Quantization = Opt(Keys.Quantization),
            InitWeightsSha256 = Opt(Keys.InitWeights),
        };
    }
}
