using Pipeline.Experiments;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pipeline.Reporting.Results;

/// <summary>results.json: each experiment's numbers behind the page, for scripts (every seed's top-1, each length's statistics, the trend).</summary>
public static class ResultsJson
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static string Write(IReadOnlyList<ExperimentResults> experiments) =>
        JsonSerializer.Serialize(experiments.ToDictionary(e => e.Pipeline.Name, Summary), Options) + "\n";

    private static Dictionary<string, object?> Summary(ExperimentResults e) => new()
    {
        ["runs_planned"] = e.Pipeline.Runs().Count(),
        ["runs_published"] = e.Runs.Count,
        ["image_size"] = e.Pipeline.ImageSize,
        ["lengths"] = e.Lengths.Select(l => new Dictionary<string, object>
        {
            ["arch"] = l.Condition.Arch.Name(),
            ["recipe"] = l.Condition.Recipe,
            ["lr_max"] = l.Condition.LrMax,
            ["epochs"] = l.Epochs,
            ["seeds"] = l.Pairs.Select(p => p.Seed).ToArray(),
            ["off_top1"] = l.Pairs.Select(p => p.Off.Top1).ToArray(),
            ["on_top1"] = l.Pairs.Select(p => p.On.Top1).ToArray(),
            ["off_mean"] = l.Off.Mean,
            ["off_sd"] = l.Off.StandardDeviation,
            ["on_mean"] = l.On.Mean,
            ["on_sd"] = l.On.StandardDeviation,
            ["gap_mean_pp"] = l.Gap.Spread.Mean,
            ["gap_ci95_t"] = new[] { l.Gap.TLow, l.Gap.THigh },
            ["gap_one_sided95"] = new[] { l.Gap.OneSidedLow, l.Gap.OneSidedHigh },
            ["gap_verdict"] = l.Gap.Verdict.ToString(),
            ["gap_ci95_bootstrap"] = new[] { l.Gap.BootstrapLow, l.Gap.BootstrapHigh },
            ["minimum_detectable_effect_pp"] = l.Gap.MinimumDetectableEffect,
            ["mlnet_gap_mean_pp"] = l.MlNetGap.Spread.Mean,
        }).ToArray(),
        ["gap_trends"] = e.Trends.Select(t => new Dictionary<string, object>
        {
            ["form"] = t.FormText,
            ["points"] = t.Points,
            ["lengths"] = t.Lengths,
            ["intercept"] = t.Intercept,
            ["slope"] = t.Slope,
            ["residual_sd_pp"] = t.ResidualSd,
            ["lack_of_fit_f"] = t.LackOfFitF,
            ["lack_of_fit_p"] = t.LackOfFitP,
            ["at_epochs"] = t.AtEpochs,
            ["predicted_gap_pp"] = t.Predicted,
            ["mean_ci95"] = new[] { t.MeanLow, t.MeanHigh },
            ["prediction_interval95"] = new[] { t.PredictionLow, t.PredictionHigh },
            ["crossing_epochs"] = t.CrossingEpochs,
        }).ToArray(),
    };
}
