using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pipeline.Experiments;

[JsonConverter(typeof(JsonStringEnumConverter<Precision>))]
public enum Precision
{
    /// <summary>
    /// The fastest precision that keeps accuracy on this machine: bf16 where the CPU has native bf16
    /// (<see cref="CpuFeatures.HasNativeBf16"/>), else fp32. The trainer decides before it starts and the run's
    /// config.json records the decision.
    /// </summary>
    Auto,
    Fp32,
    /// <summary>bf16 forward and backward; fp32 master weights, optimizer state, BatchNorm and loss (see <see cref="MixedPrecision"/>).</summary>
    Bf16,
}

public static class PrecisionNames
{
    /// <summary>"auto", "fp32" or "bf16": the name run files, records and messages use.</summary>
    public static string Name(this Precision precision) => precision.ToString().ToLowerInvariant();
}

/// <summary>
/// Everything that defines one training run; the run file is this record as JSON. Two runs with the
/// same spec and seed see the same initial weights and the same data order.
/// </summary>
public sealed record RunSpec
{
    public required string Name { get; init; }
    /// <summary>The depth; ResNet18 for every run recorded before depths existed.</summary>
    public ResNetArch Arch { get; init; } = ResNetArch.ResNet18;
    public ResNetFlavour Flavour { get; init; } = ResNetFlavour.Torchvision;
    /// <summary>Zero the last BatchNorm γ of each residual block. Null: the flavour's library default (timm true, torchvision false).</summary>
    public bool? ZeroInitLast { get; init; }
    public HeadKind Head { get; init; } = HeadKind.Fastai;
    /// <summary>A preset name (see <see cref="Recipe.Presets"/>), used when <see cref="RecipeOverride"/> is null.</summary>
    public string RecipeName { get; init; } = Recipe.FastaiReference.Name;
    /// <summary>A full recipe, for runs that vary one (the preset named by RecipeName is ignored).</summary>
    public Recipe? RecipeOverride { get; init; }
    public int ImageSize { get; init; } = 128;
    public int Epochs { get; init; } = 5;
    public int Seed { get; init; } = 42;
    /// <summary>
    /// The dataset folder (ImageFolder layout: train/&lt;class&gt;/ and val/&lt;class&gt;/, or class folders split by
    /// <see cref="ValFraction"/>); null: $PIPELINE_DATA, else the embedded ../shared/data/imagenette-224. Written as
    /// <c>"dataset"</c>; files may name it <c>"data"</c>, as the command line's <c>--data</c> does (<see cref="DataKey"/>).
    /// </summary>
    public string? Dataset { get; init; }

    /// <summary>
    /// <c>"data"</c>, the name run and pipeline files use for <see cref="Dataset"/> (<c>"dataset"</c>, which records are
    /// written with, is read too). Read only: never written, and moved into <see cref="Dataset"/> by
    /// <see cref="DataKey.Resolve"/> when a file is loaded.
    /// </summary>
    [JsonPropertyName("data"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? DataAlias { get => null; init => DataGiven = value; }

    [JsonIgnore]
    internal string? DataGiven { get; init; }

    /// <summary>
    /// For a dataset without train/ and val/ folders: the share of each class's images held out for validation, chosen by a
    /// hash seeded with <see cref="SplitSeed"/>. Null: the dataset's own train/ and val/ folders (every run before this existed).
    /// </summary>
    public double? ValFraction { get; init; }
    public int SplitSeed { get; init; }
    /// <summary>Use only the first N images per class of each split (quick runs and tests); null: all.</summary>
    public int? TrainPerClass { get; init; }
    public int? ValPerClass { get; init; }
    public int NoisyLabelsPercent { get; init; }
    public Precision Precision { get; init; } = Precision.Auto;
    /// <summary>Keep activations and conv weights channels-last (NHWC in memory): faster on CPU, same math.</summary>
    public bool ChannelsLast { get; init; } = true;
    /// <summary>Stop after this many optimizer steps per epoch (smoke runs); null: the whole epoch.</summary>
    public int? MaxStepsPerEpoch { get; init; }
    /// <summary>Threads libtorch may use; null: all cores.</summary>
    public int? Threads { get; init; }
    /// <summary>Validate every N epochs (and always after the last): long runs save the time of most validations.</summary>
    public int ValidateEvery { get; init; } = 1;

    /// <summary>
    /// A PyTorch state dict (safetensors, or a <c>torch.save</c> .pth/.pt) that initialises the model in place of the seeded
    /// init: torchvision or timm names, which are this project's. Null: trained from scratch (every run before this existed).
    /// </summary>
    public string? InitWeights { get; init; }

    /// <summary>With <see cref="InitWeights"/>: re-initialise the classifier for this dataset's classes instead of loading the file's.</summary>
    public bool NewHead { get; init; }

    /// <summary>The SHA-256 of the <see cref="InitWeights"/> file, recorded by the trainer when the run starts (<see cref="WithInitWeightsHash"/>).</summary>
    public string? InitWeightsSha256 { get; init; }

    [JsonIgnore]
    public Recipe Recipe => RecipeOverride ?? (Recipe.Presets.TryGetValue(RecipeName, out var r)
        ? r
        : throw new RunSpecException($"Unknown recipe '{RecipeName}'. Known: {string.Join(", ", Recipe.Presets.Keys)}."));

    [JsonIgnore]
    public bool EffectiveZeroInitLast => ModelConfig.ZeroInitLast;

    /// <summary>The model the run describes, with Imagenette's 10 outputs: for its flag, head and depth. The model itself: <see cref="ModelFor"/>.</summary>
    [JsonIgnore]
    public ResNetConfig ModelConfig => ResNetConfig.Of(Arch, Flavour, ZeroInitLast, Head);

    /// <summary>The model the run trains, with one output per class of its dataset.</summary>
    public ResNetConfig ModelFor(int numClasses) => ModelConfig with { NumClasses = numClasses };

    /// <summary>Short side the images are resized to before cropping (cache size).</summary>
    [JsonIgnore]
    public int ResizeSide => (int)Math.Round(ImageSize * Recipe.ResizeScale);

    /// <summary>
    /// config.json, run files and summary.json: camelCase keys, enums as words, and a key this version does not know
    /// is an error (a misspelled <c>"epocs"</c> must not train with the default instead).
    /// </summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        // `"recipeName": null` is a mistake in the file, named as one, not a NullReferenceException later.
        RespectNullableAnnotations = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        // A key given twice is a mistake in the file (which one was meant?), not "the last one wins".
        AllowDuplicateProperties = false,
    };

    /// <summary>This spec with <see cref="Precision.Auto"/> decided for this machine: what the trainer runs and records.</summary>
    public RunSpec ForThisMachine() => Precision == Precision.Auto
        ? this with { Precision = CpuFeatures.HasNativeBf16 ? Precision.Bf16 : Precision.Fp32 }
        : this;

    public string ToJson() => JsonSerializer.Serialize(this with { RecipeOverride = Recipe }, Json);

    /// <summary>
    /// Whether <paramref name="recordedJson"/> (a run folder's config.json, a checkpoint's header) defines this
    /// run. Compared as this version reads it, so a field added since with its default still matches.
    /// </summary>
    public bool IsDefinedBy(string recordedJson)
    {
        try
        {
            return JsonSerializer.Deserialize<RunSpec>(recordedJson, Json)?.ToJson() == ToJson();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>
    /// This spec with the SHA-256 of its <see cref="InitWeights"/> file, which config.json then records: a run resumed or
    /// re-run with a changed file is another run. A spec that already names a hash must match the file.
    /// </summary>
    /// <exception cref="RunSpecException">The file is missing, or is not the one the spec recorded.</exception>
    public RunSpec WithInitWeightsHash()
    {
        if (InitWeights is null)
            return this;
        if (!File.Exists(InitWeights))
            throw new RunSpecException($"run '{Name}': the initial weights {InitWeights} do not exist. Give the path of a state dict (.safetensors, .pth or .pt), or train from scratch without --init-weights.");
        string sha;
        using (var file = File.OpenRead(InitWeights))
            sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(file));
        if (InitWeightsSha256 is { } recorded && recorded != sha)
            throw new RunSpecException($"run '{Name}': {InitWeights} has SHA-256 {sha}, but the run was defined with the file of SHA-256 {recorded}. Restore that file, or give the run another name.");
        return this with { InitWeightsSha256 = sha };
    }

    /// <summary>Whether the epoch just finished (1-based) is validated.</summary>
    public bool ValidatesAfter(int epoch) => epoch % ValidateEvery == 0 || epoch == Epochs;

    /// <summary>Reads a run file; errors name the file and the field.</summary>
    public static RunSpec Load(string path)
    {
        if (!File.Exists(path))
            throw new RunSpecException($"{path}: no such run file. Create one (see pipelines/ for examples) or check the path.");
        RunSpec? spec;
        try
        {
            spec = JsonSerializer.Deserialize<RunSpec>(File.ReadAllText(path), Json);
            if (spec is not null)
                spec = spec with { Dataset = DataKey.Resolve(spec.Dataset, spec.DataGiven), DataGiven = null };
        }
        catch (JsonException e)
        {
            throw new RunSpecException($"{path}: not a valid run file ({JsonProblem.Describe(e)}). Fix the JSON; field names are as in pipelines/*.json.");
        }
        if (spec is null)
            throw new RunSpecException($"{path}: the file is empty; it must hold one JSON object describing a run.");
        spec.ThrowIfInvalid(path);
        return spec;
    }

    public void ThrowIfInvalid(string source)
    {
        var problems = Validate().ToList();
        if (problems.Count > 0)
            throw new RunSpecException($"{source}: {string.Join(" ", problems)}");
    }

    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(Name) || Name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || Name.Contains('/'))
            yield return $"name '{Name}' must be a non-empty folder name.";
        if (ImageSize is < 32 or > 1024) yield return $"imageSize must be between 32 and 1024 (is {ImageSize}).";
        if (Epochs < 1) yield return $"epochs must be at least 1 (is {Epochs}).";
        if (ValidateEvery < 1) yield return $"validateEvery must be at least 1 (is {ValidateEvery}).";
        if (NoisyLabelsPercent is not (0 or 1 or 5 or 25 or 50)) yield return $"noisyLabelsPercent must be 0, 1, 5, 25 or 50 (is {NoisyLabelsPercent}).";
        if (TrainPerClass is < 1 || ValPerClass is < 1) yield return "trainPerClass and valPerClass must be at least 1 when given.";
        if (ValFraction is { } fraction && !(fraction > 0 && fraction < 1)) yield return $"valFraction must be above 0 and below 1 (is {fraction}).";
        if (InitWeights is { Length: 0 }) yield return "initWeights must name a file when given.";
        if (NewHead && InitWeights is null) yield return "newHead re-initialises the classifier of loaded weights: give initWeights too, or drop newHead.";
        if (RecipeOverride is null && !Recipe.Presets.ContainsKey(RecipeName))
            yield return $"unknown recipe '{RecipeName}' (known: {string.Join(", ", Recipe.Presets.Keys)}).";
        foreach (var p in (RecipeOverride ?? Recipe.FastaiReference).Validate())
            yield return p;
    }
}

public sealed class RunSpecException(string message) : Exception(message);
