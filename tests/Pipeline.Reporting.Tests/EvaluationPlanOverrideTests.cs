using Pipeline.Inference;

namespace Pipeline.Reporting.Tests;

/// <summary>Which value `pipeline evaluate` uses: an option given on the command line, then $PIPELINE_MODELS for the models, then the plan's.</summary>
public sealed class EvaluationPlanOverrideTests
{
    private static readonly EvaluationPlan Plan = new()
    {
        Models = ["plan-models"],
        Split = "train",
        PerClassLimit = 5,
        Device = ComputeDevice.Gpu,
        History = "plan.db",
        ReportDirectory = "plan-reports",
        RunsRoot = "plan-runs",
        FailOnRegression = false,
        RegressionThresholdPp = 2.5,
    };

    [Fact]
    public void Without_options_or_environment_the_plan_stands()
    {
        Assert.Equal(Plan, Plan.With(new EvaluationOverrides(), modelsFromEnvironment: null));
        Assert.Equal(Plan, Plan.With(new EvaluationOverrides(), modelsFromEnvironment: ""));
    }

    [Fact]
    public void The_environment_names_the_models_when_no_option_does()
    {
        var p = Plan.With(new EvaluationOverrides(), $"/a{Path.PathSeparator}/b");
        Assert.Equal(["/a", "/b"], p.Models);
        Assert.Equal(Plan with { Models = p.Models }, p);
    }

    [Fact]
    public void Every_option_given_wins_over_the_environment_and_the_plan()
    {
        var options = new EvaluationOverrides
        {
            Models = ["option-models"],
            Split = "val",
            PerClassLimit = 0,
            Device = ComputeDevice.Cpu,
            History = "",
            ReportDirectory = "option-reports",
            RunsRoot = "option-runs",
            FailOnRegression = true,
            RegressionThresholdPp = 0.5,
        };
        var p = Plan.With(options, "/from/environment");
        Assert.Equal(
            new EvaluationPlan
            {
                Models = ["option-models"],
                Split = "val",
                PerClassLimit = 0,
                Device = ComputeDevice.Cpu,
                History = "",
                ReportDirectory = "option-reports",
                RunsRoot = "option-runs",
                FailOnRegression = true,
                RegressionThresholdPp = 0.5,
            } with { Models = p.Models },
            p);
        Assert.Equal(["option-models"], p.Models);
    }
}
