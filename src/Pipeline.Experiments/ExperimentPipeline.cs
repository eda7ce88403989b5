using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pipeline.Experiments;

/// <summary>One model variant of an experiment: flavour × zero-init flag × head; <paramref name="Seeds"/> narrows the pipeline's seeds for it.</summary>
public sealed record Variant(ResNetFlavour Flavour, bool? ZeroInitLast = null, HeadKind Head = HeadKind.Fastai, IReadOnlyList<int>? Seeds = null);

/// <summary>What to evaluate after training: the ML.NET pipeline over a split, into a report and a history.</summary>
public sealed record EvaluationStep
{
    public string Split { get; init; } = "val";
    public int PerClassLimit { get; init; }
    public string History { get; init; } = "";
    public string ReportDirectory { get; init; } = "";
}

/// <summary>
/// A whole experiment as a file under <c>pipelines/</c>: every variant × seed is trained with the same
/// settings, exported to <c>models/&lt;pipeline&gt;/</c> and evaluated together. A new experiment is a new file.
/// </summary>
public sealed record ExperimentPipeline
{
    public required string Name { get; init; }
    public string Description { get; init; } = "";
    public required IReadOnlyList<Variant> Variants { get; init; }
    /// <summary>
    /// Depths: <c>"resnet18"</c> (the default), or several (<c>["resnet50", "resnet18"]</c>), each with every variant,
    /// seed and length; runs are ordered by depth first, as listed, so a costly or more informative depth can go first.
    /// </summary>
    [JsonConverter(typeof(OneOrManyConverter<ResNetArch>))]
    public IReadOnlyList<ResNetArch> Arch { get; init; } = [ResNetArch.ResNet18];
    public IReadOnlyList<int> Seeds { get; init; } = [42];
    public string RecipeName { get; init; } = Recipe.FastaiReference.Name;
    /// <summary>
    /// Peak learning rates in place of the recipe's own: one (<c>0.4</c>) or several (<c>[0.025, 0.4]</c>), each a run of
    /// its own, named with <c>-lr&lt;value&gt;</c>. Null: the recipe's.
    /// </summary>
    [JsonConverter(typeof(OneOrManyConverter<double>))]
    public IReadOnlyList<double>? LrMax { get; init; }
    public int ImageSize { get; init; } = 128;
    /// <summary>Training lengths: <c>5</c>, or several (<c>[5, 10, 20, 40]</c>), each a run of its own with the schedule scaled to it.</summary>
    [JsonConverter(typeof(OneOrManyConverter<int>))]
    public IReadOnlyList<int> Epochs { get; init; } = [5];
    /// <summary>
    /// Fewer seeds at some lengths: <c>{ "80": [42, 43] }</c> trains 80 epochs with those two of the pipeline's seeds
    /// only, so a costly length can join the experiment without every seed.
    /// </summary>
    public IReadOnlyDictionary<int, IReadOnlyList<int>> SeedsAt { get; init; } = new Dictionary<int, IReadOnlyList<int>>();
    public int ValidateEvery { get; init; } = 1;
    /// <summary>The dataset folder, <c>"data"</c> in the file (<c>"dataset"</c> is read too: <see cref="DataKey"/>); null: the default (Imagenette).</summary>
    public string? Dataset { get; init; }

    /// <summary>The file's <c>"data"</c>, moved into <see cref="Dataset"/> by <see cref="Load"/>; never written.</summary>
    [JsonPropertyName("data"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? DataAlias { get => null; init => DataGiven = value; }

    [JsonIgnore]
    internal string? DataGiven { get; init; }

    /// <summary>As <see cref="RunSpec.ValFraction"/>: a dataset of class folders split by this fraction; null: its train/ and val/.</summary>
    public double? ValFraction { get; init; }
    public int SplitSeed { get; init; }
    /// <summary>As <see cref="RunSpec.InitWeights"/>: every run starts from this PyTorch state dict.</summary>
    public string? InitWeights { get; init; }
    public bool NewHead { get; init; }
    public int? TrainPerClass { get; init; }
    public int? ValPerClass { get; init; }
    public int? MaxStepsPerEpoch { get; init; }
    public Precision Precision { get; init; } = Precision.Auto;
    public bool ChannelsLast { get; init; } = true;
    public bool Export { get; init; } = true;
    /// <summary>Also export an int8 copy of each model (<c>export --int8</c>) and evaluate it beside the float one.</summary>
    public bool Int8 { get; init; }
    /// <summary>Training images per class the int8 copies are calibrated on.</summary>
    public int Int8CalibrationPerClass { get; init; } = 32;
    public EvaluationStep? Evaluate { get; init; } = new();
    /// <summary>
    /// Score each exported float model with the ML.NET pipeline as soon as its run finishes, into the run folder's
    /// evaluation.json: the result outlives the model file.
    /// </summary>
    public bool EvaluateEachRun { get; init; }
    /// <summary>
    /// Where each finished run's small files (config, metrics, dynamics, summary, evaluation; no weights) are
    /// published, under runs/&lt;run&gt;/: the committed record of the experiment. A run published there counts as
    /// finished and is not trained again. Empty: none.
    /// </summary>
    public string Results { get; init; } = "";

    private static readonly JsonSerializerOptions Json = RunSpec.Json;

    /// <summary>Whether <paramref name="spec"/>'s record is in this pipeline's results folder: then it counts as finished and is not trained again.</summary>
    public bool IsPublished(RunSpec spec) => Results.Length > 0 && RunFolder.PublishedIn(Results, spec.Name).HasSummary;

    /// <summary>Whether the run's published record says it diverged (<see cref="RunDivergence"/>).</summary>
    public bool HasPublishedDivergence(RunSpec spec) => Results.Length > 0 && RunFolder.PublishedIn(Results, spec.Name).HasDiverged;

    /// <summary>This pipeline narrowed to one of its depths: the same runs, names and records, fewer of them.</summary>
    public ExperimentPipeline OnlyArch(ResNetArch arch) => Arch.Contains(arch)
        ? this with { Arch = [arch] }
        : throw new RunSpecException($"pipeline '{Name}' has no {arch.Name()} runs (its \"arch\": {string.Join(", ", Arch.Select(a => a.Name()))}). Leave --arch out or name one of those.");

    public static ExperimentPipeline Load(string path)
    {
        if (!File.Exists(path))
            throw new RunSpecException($"{path}: no such pipeline file. See pipelines/ for the shipped ones.");
        try
        {
            var pipeline = JsonSerializer.Deserialize<ExperimentPipeline>(File.ReadAllText(path), Json)
                ?? throw new JsonException("the file is empty");
            pipeline = pipeline with { Dataset = DataKey.Resolve(pipeline.Dataset, pipeline.DataGiven), DataGiven = null };
            if (pipeline.Variants.Count == 0 || pipeline.Seeds.Count == 0 || pipeline.Epochs.Count == 0 || pipeline.Arch.Count == 0 || pipeline.LrMax is { Count: 0 })
                throw new JsonException("'variants', 'seeds', 'epochs', 'arch' and 'lrMax' (when given) must each list at least one entry");
            if (pipeline.Arch.Distinct().Count() != pipeline.Arch.Count || pipeline.LrMax?.Distinct().Count() < pipeline.LrMax?.Count)
                throw new JsonException("'arch' and 'lrMax' must not list a value twice");
            if (pipeline.Variants.Any(v => v is null))
                throw new JsonException("'variants' holds a null entry");
            if (pipeline.Variants.FirstOrDefault(v => v.Seeds is { } own && !own.All(pipeline.Seeds.Contains)) is { } stray)
                throw new JsonException($"a variant's 'seeds' must be some of the pipeline's seeds ({string.Join(", ", pipeline.Seeds)}), not {string.Join(", ", stray.Seeds!)}");
            foreach (var (epochs, seeds) in pipeline.SeedsAt)
            {
                if (!pipeline.Epochs.Contains(epochs))
                    throw new JsonException($"'seedsAt' names {epochs} epochs, which is not one of the pipeline's 'epochs' ({string.Join(", ", pipeline.Epochs)})");
                if (seeds is null || seeds.Count == 0 || !seeds.All(pipeline.Seeds.Contains))
                    throw new JsonException($"'seedsAt' for {epochs} epochs must list some of the pipeline's seeds ({string.Join(", ", pipeline.Seeds)}), not [{string.Join(", ", seeds ?? [])}]");
                if (pipeline.Variants.FirstOrDefault(v => v.Seeds is { } own && !own.Intersect(seeds).Any()) is { } bare)
                    throw new JsonException($"'seedsAt' for {epochs} epochs ([{string.Join(", ", seeds)}]) leaves the variant {bare.Flavour} (its 'seeds': {string.Join(", ", bare.Seeds!)}) with no run at that length: list one of its seeds there");
            }
            if (pipeline.Int8CalibrationPerClass < 1)
                throw new JsonException($"'int8CalibrationPerClass' must be at least 1 (is {pipeline.Int8CalibrationPerClass})");
            foreach (var spec in pipeline.Runs())
                spec.ThrowIfInvalid($"{path} (run {spec.Name})");
            return pipeline;
        }
        catch (JsonException e)
        {
            throw new RunSpecException($"{path}: not a valid pipeline file: {JsonProblem.Describe(e)}");
        }
    }

    /// <summary>
    /// Whether <paramref name="path"/>, a JSON file under pipelines/ (an experiment pipeline, or a file of another kind
    /// such as an evaluation plan), names a "results" folder: an experiment that publishes its runs. Only that key is
    /// read; <see cref="Load"/> reads and checks the whole file.
    /// </summary>
    /// <exception cref="RunSpecException">The file is not valid JSON; the message names it.</exception>
    public static bool PublishesResults(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            return doc.RootElement.ValueKind == JsonValueKind.Object
                   && doc.RootElement.TryGetProperty(JsonNamingPolicy.CamelCase.ConvertName(nameof(Results)), out var results)
                   && results.ValueKind == JsonValueKind.String && results.GetString() is { Length: > 0 };
        }
        catch (JsonException e)
        {
            throw new RunSpecException($"{path}: not valid JSON ({JsonProblem.Describe(e)}). Fix the file.");
        }
    }

    /// <summary>
    /// The runs this pipeline trains, named by <see cref="RunNames.For"/> (the length only when there are several).
    /// Ordered by depth and peak learning rate as listed, then length as the "epochs" list gives them, then seed, then
    /// variant: the runs of one seed, which the analysis pairs, finish together.
    /// </summary>
    public IEnumerable<RunSpec> Runs() =>
        from arch in Arch
        from lrMax in LrMax?.Select(lr => (double?)lr) ?? [null]
        from epochs in Epochs
        from seed in Seeds
        where !SeedsAt.TryGetValue(epochs, out var seedsAt) || seedsAt.Contains(seed)
        from variant in Variants
        where variant.Seeds is null || variant.Seeds.Contains(seed)
        let model = ResNetConfig.Of(arch, variant.Flavour, variant.ZeroInitLast, variant.Head)
        select new RunSpec
        {
            Name = RunNames.For(Name, model, seed, Epochs.Count > 1 ? epochs : null, lrMax),
            Arch = arch,
            Flavour = variant.Flavour,
            ZeroInitLast = model.ZeroInitLast,
            Head = variant.Head,
            RecipeName = RecipeName,
            RecipeOverride = lrMax is { } lr && Recipe.Presets.TryGetValue(RecipeName, out var preset) ? preset with { LrMax = lr } : null,
            ImageSize = ImageSize,
            Epochs = epochs,
            Seed = seed,
            Dataset = Dataset,
            ValFraction = ValFraction,
            SplitSeed = SplitSeed,
            InitWeights = InitWeights,
            NewHead = NewHead,
            TrainPerClass = TrainPerClass,
            ValPerClass = ValPerClass,
            MaxStepsPerEpoch = MaxStepsPerEpoch,
            Precision = Precision,
            ChannelsLast = ChannelsLast,
            ValidateEvery = ValidateEvery,
        };
}

/// <summary>Reads <c>5</c> or <c>[5, 10]</c> (<c>"resnet18"</c> or <c>["resnet18", "resnet50"]</c>) as a list; writes a single value as itself.</summary>
public sealed class OneOrManyConverter<T> : JsonConverter<IReadOnlyList<T>>
{
    public override IReadOnlyList<T> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.StartArray
            ? JsonSerializer.Deserialize<T[]>(ref reader, options) ?? []
            : [JsonSerializer.Deserialize<T>(ref reader, options)!];

    public override void Write(Utf8JsonWriter writer, IReadOnlyList<T> value, JsonSerializerOptions options)
    {
        if (value.Count == 1)
            JsonSerializer.Serialize(writer, value[0], options);
        else
            JsonSerializer.Serialize(writer, value.ToArray(), options);
    }
}
