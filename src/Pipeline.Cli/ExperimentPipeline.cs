using System.Text.Json;
using System.Text.Json.Serialization;
using Pipeline.Models;
using Pipeline.Training;

namespace Pipeline.Cli;

/// <summary>One model variant of an experiment: flavour × zero-init flag × head.</summary>
public sealed record Variant(ResNetFlavour Flavour, bool? ZeroInitLast = null, HeadKind Head = HeadKind.Fastai);

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
    public IReadOnlyList<int> Seeds { get; init; } = [42];
    public string RecipeName { get; init; } = Recipe.FastaiReference.Name;
    public int ImageSize { get; init; } = 128;
    public int Epochs { get; init; } = 5;
    public string? Dataset { get; init; }
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

    private static readonly JsonSerializerOptions Json = new(RunSpec.Json)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public static ExperimentPipeline Load(string path)
    {
        if (!File.Exists(path))
            throw new UsageException($"{path}: no such pipeline file. See pipelines/ for the shipped ones.");
        try
        {
            var pipeline = JsonSerializer.Deserialize<ExperimentPipeline>(File.ReadAllText(path), Json)
                ?? throw new JsonException("the file is empty");
            if (pipeline.Variants.Count == 0 || pipeline.Seeds.Count == 0)
                throw new JsonException("'variants' and 'seeds' must each list at least one entry");
            if (pipeline.Int8CalibrationPerClass < 1)
                throw new JsonException($"'int8CalibrationPerClass' must be at least 1 (is {pipeline.Int8CalibrationPerClass})");
            foreach (var spec in pipeline.Runs())
                spec.ThrowIfInvalid($"{path} (run {spec.Name})");
            return pipeline;
        }
        catch (JsonException e)
        {
            throw new UsageException($"{path}: not a valid pipeline file: {e.Message}");
        }
    }

    /// <summary>The runs this pipeline trains, named &lt;pipeline&gt;-&lt;flavour&gt;-zi&lt;0|1&gt;-&lt;head&gt;-s&lt;seed&gt;.</summary>
    public IEnumerable<RunSpec> Runs() =>
        from variant in Variants
        from seed in Seeds
        let zeroInit = variant.ZeroInitLast ?? variant.Flavour == ResNetFlavour.Timm
        select new RunSpec
        {
            Name = $"{Name}-{variant.Flavour.ToString().ToLowerInvariant()}-zi{(zeroInit ? 1 : 0)}-{variant.Head.ToString().ToLowerInvariant()}-s{seed}",
            Flavour = variant.Flavour,
            ZeroInitLast = zeroInit,
            Head = variant.Head,
            RecipeName = RecipeName,
            ImageSize = ImageSize,
            Epochs = Epochs,
            Seed = seed,
            Dataset = Dataset,
            TrainPerClass = TrainPerClass,
            ValPerClass = ValPerClass,
            MaxStepsPerEpoch = MaxStepsPerEpoch,
            Precision = Precision,
            ChannelsLast = ChannelsLast,
        };
}
