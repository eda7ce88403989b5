using System.Text.Json;
using System.Text.Json.Serialization;
using Pipeline.Evaluation;
using Pipeline.Experiments;
using Pipeline.Inference;

namespace Pipeline.Reporting;

/// <summary>
/// A scheduled evaluation as a file under <c>pipelines/</c> (JSON): which models, which data, where
/// history and reports go, when to fail. Relative paths are relative to the folder the command runs in
/// (the repository root for the Cake target). The command line turns <see cref="Dataset"/> into an
/// <see cref="EvaluationSet"/> with the dataset index.
/// </summary>
public sealed record EvaluationPlan
{
    public string Name { get; init; } = "evaluation";
    /// <summary>Model files or folders of *.onnx.</summary>
    public required IReadOnlyList<string> Models { get; init; }
    /// <summary>
    /// The dataset folder, <c>"data"</c> in the file (<c>"dataset"</c> is read too: <see cref="DataKey"/>). Used when it exists;
    /// otherwise, and when the plan names none, the default ($PIPELINE_DATA, else ../shared/data/imagenette-224).
    /// </summary>
    public string? Dataset { get; init; }

    /// <summary>The file's <c>"data"</c>, moved into <see cref="Dataset"/> by <see cref="Load"/>; never written.</summary>
    [JsonPropertyName("data"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? DataAlias { get => null; init => DataGiven = value; }

    [JsonIgnore]
    private string? DataGiven { get; init; }

    /// <summary>For a dataset of class folders: the fraction and seed its models were trained with (<c>pipeline train --val-fraction</c>).</summary>
    public double? ValFraction { get; init; }
    public int SplitSeed { get; init; }
    public string Split { get; init; } = "val";
    /// <summary>Images per class to evaluate (0: all).</summary>
    public int PerClassLimit { get; init; }
    [JsonConverter(typeof(JsonStringEnumConverter<ComputeDevice>))]
    public ComputeDevice Device { get; init; } = ComputeDevice.Auto;
    public string History { get; init; } = DefaultHistory;
    /// <summary>The history a plan appends to unless it names another.</summary>
    public const string DefaultHistory = "reports/evaluation-history.db";
    public string ReportDirectory { get; init; } = "reports/evaluation";
    public string RunsRoot { get; init; } = "runs";
    public double RegressionThresholdPp { get; init; } = 1.0;
    public bool FailOnRegression { get; init; } = true;

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true, // `"models": null` is named as a mistake in the file

    };

    /// <exception cref="EvaluationException">The file is missing or not a plan.</exception>
    public static EvaluationPlan Load(string path)
    {
        if (!File.Exists(path))
            throw new EvaluationException(path, "no such evaluation plan.");
        try
        {
            var plan = JsonSerializer.Deserialize<EvaluationPlan>(File.ReadAllText(path), Options)
                       ?? throw new JsonException("the file is empty (null)");
            plan = plan with { Dataset = DataKey.Resolve(plan.Dataset, plan.DataGiven), DataGiven = null };
            if (plan.Models.Count == 0 || plan.Models.Any(string.IsNullOrEmpty))
                throw new JsonException("'models' must list model files or folders (none empty or null)");
            return plan;
        }
        catch (JsonException ex)
        {
            throw new EvaluationException(path, $"not a valid evaluation plan: {JsonProblem.Describe(ex)}", ex);
        }
    }

    /// <summary>Where a scheduler keeps the models to evaluate (a folder outside the checkout; several separated by ':').</summary>
    public const string ModelsVariable = "PIPELINE_MODELS";

    /// <summary>
    /// This plan with the command line's values: an option given wins; for the models, then <c>$PIPELINE_MODELS</c>
    /// (<paramref name="modelsFromEnvironment"/>); then the plan's own value.
    /// </summary>
    public EvaluationPlan With(EvaluationOverrides options, string? modelsFromEnvironment) => this with
    {
        Models = options.Models is { Count: > 0 } models ? models
            : modelsFromEnvironment is { Length: > 0 } fromEnvironment ? fromEnvironment.Split(Path.PathSeparator)
            : Models,
        ValFraction = options.ValFraction ?? ValFraction,
        SplitSeed = options.SplitSeed ?? SplitSeed,
        Split = options.Split ?? Split,
        PerClassLimit = options.PerClassLimit ?? PerClassLimit,
        Device = options.Device ?? Device,
        History = options.History ?? History,
        ReportDirectory = options.ReportDirectory ?? ReportDirectory,
        RunsRoot = options.RunsRoot ?? RunsRoot,
        FailOnRegression = options.FailOnRegression ?? FailOnRegression,
        RegressionThresholdPp = options.RegressionThresholdPp ?? RegressionThresholdPp,
    };

    /// <summary>Every model the plan names, files and folders expanded, duplicates dropped.</summary>
    public IReadOnlyList<ModelToEvaluate> FindModels() =>
        Models.SelectMany(ModelToEvaluate.Find).DistinctBy(m => m.Path).ToArray();

    /// <summary>The job request for this plan, given the evaluation set the command line built.</summary>
    public EvaluationJobRequest ToRequest(EvaluationSet set) => new()
    {
        Models = FindModels(),
        Set = set,
        ReportDirectory = ReportDirectory,
        HistoryPath = History.Length == 0 ? null : History,
        RunsRoot = RunsRoot,
        RegressionThresholdPp = RegressionThresholdPp,
        FailOnRegression = FailOnRegression,
        Options = new EvaluationOptions { Device = Device, ProjectVersion = ProjectVersion.Current },
    };
}

/// <summary>The values `pipeline evaluate` may override in a plan; null: not given on the command line.</summary>
public sealed record EvaluationOverrides
{
    public IReadOnlyList<string>? Models { get; init; }
    public double? ValFraction { get; init; }
    public int? SplitSeed { get; init; }
    public string? Split { get; init; }
    public int? PerClassLimit { get; init; }
    public ComputeDevice? Device { get; init; }
    public string? History { get; init; }
    public string? ReportDirectory { get; init; }
    public string? RunsRoot { get; init; }
    public bool? FailOnRegression { get; init; }
    public double? RegressionThresholdPp { get; init; }
}
