using System.Text.Json;

namespace Pipeline.Reporting.Results;

/// <summary>
/// The published numbers the results page sets its own beside, read from one data file (published-reference.json,
/// embedded in this assembly): fastai's single runs of each variant, and the one published long-run figure.
/// </summary>
public sealed record PublishedReference(PublishedShortRun ShortRun, PublishedLongRun LongRun)
{
    public const string Resource = "Pipeline.Reporting.Results.published-reference.json";

    public static PublishedReference Current { get; } = Read();

    private static PublishedReference Read()
    {
        using var stream = typeof(PublishedReference).Assembly.GetManifestResourceStream(Resource)
            ?? throw new InvalidOperationException($"the resource {Resource} is missing: the build lost Results/published-reference.json.");
        return JsonSerializer.Deserialize<PublishedReference>(stream, new JsonSerializerOptions(JsonSerializerDefaults.Web) { RespectRequiredConstructorParameters = true, RespectNullableAnnotations = true })
            ?? throw new InvalidDataException($"{Resource} holds null.");
    }
}

/// <summary>One published run per variant at <paramref name="ImageSize"/> px and <paramref name="Epochs"/> epochs.</summary>
public sealed record PublishedShortRun(string Source, int ImageSize, int Epochs, IReadOnlyList<PublishedVariant> Runs);

/// <param name="Top1">Val top-1 in percent.</param>
public sealed record PublishedVariant(string Variant, bool ZeroInitLast, double Top1);

/// <summary>Zero-init's published gain after a long schedule, a range in percentage points.</summary>
public sealed record PublishedLongRun(string Source, string Model, string Schedule, double GainLowPp, double GainHighPp);
