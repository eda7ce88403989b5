using Pipeline.Experiments;
using Pipeline.Reporting.Results;
using Pipeline.Testing;

namespace Pipeline.Reporting.Tests;

/// <summary>The results page: its statistics, and that the committed page is exactly what the committed run records give.</summary>
public sealed class ResultsPageTests : IDisposable
{
    private const string Seeds = "pipelines/zero-init-seeds.json";
    private static readonly string Repository = TestRepository.Root;
    private readonly string _temp = Directory.CreateTempSubdirectory("results-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Fact]
    public void The_paired_t_interval_and_detectable_effect_match_a_hand_computation()
    {
        // Differences 1..5: mean 3, sd 1.5811, se 0.7071; t(0.975, 4 df) = 2.7764, t(0.80, 4 df) = 0.9410.
        var gap = PairedComparison.Of([1, 2, 3, 4, 5]);

        Assert.Equal(3, gap.Spread.Mean, 10);
        Assert.Equal(1.0368, gap.TLow, 3);
        Assert.Equal(4.9632, gap.THigh, 3);
        Assert.Equal((2.7764 + 0.9410) * 0.70711, gap.MinimumDetectableEffect, 3);
        Assert.True(gap.Significant);
        Assert.InRange(gap.BootstrapLow, 1.0, 3.0);
        Assert.InRange(gap.BootstrapHigh, 3.0, 5.0);
        // One seed gives a mean but no interval; a gap that straddles zero is not significant.
        Assert.True(double.IsNaN(PairedComparison.Of([2]).TLow));
        Assert.False(PairedComparison.Of([-1, 1, 0.5]).Significant);
    }

    [Fact]
    public void The_gap_trend_matches_a_hand_computation()
    {
        // Gaps 4, 3, 1, 0 at 1, 2, 4, 8 epochs (x = 0..3): slope −7/5 = −1.4 per doubling, intercept 4.1; residuals
        // −0.1, 0.3, −0.3, 0.1 give s² = 0.2 / 2. At 16 epochs (x = 4): 4.1 − 5.6 = −1.5, standard error
        // √0.1 · √(1/4 + 2.5² / 5) = 0.38730, t(0.975, 2 df) = 4.30265, so the interval is −1.5 ± 1.66641.
        var trend = GapTrend.Of([(1, 4), (2, 3), (4, 1), (8, 0)], atEpochs: 16)!;

        Assert.Equal(4, trend.Points);
        Assert.Equal(-1.4, trend.SlopePerDoubling, 10);
        Assert.Equal(-1.5, trend.Predicted, 10);
        Assert.Equal(-3.16641, trend.Low, 4);
        Assert.Equal(0.16641, trend.High, 4);
        // Two lengths however many seeds, gaps exactly on a line, or an unvalidated run: no interval to speak of.
        Assert.Null(GapTrend.Of([(5, 2), (10, 1), (10, 3)], 80));
        Assert.Null(GapTrend.Of([(5, 3), (10, 2), (20, 1)], 80));
        Assert.Null(GapTrend.Of([(5, 3), (10, 2), (20, double.NaN), (20, 1)], 80));
    }

    [Theory]
    [InlineData(1.0, 3.0, "the sign holds up to 80 epochs")]
    [InlineData(-3.0, -1.0, "the lines cross before 80 epochs")]
    [InlineData(-1.0, 1.0, "the lines may cross by 80 epochs")]
    public void The_trend_verdict_reads_the_interval_against_the_measured_sign(double low, double high, string expected)
    {
        var trend = new GapTrend(6, -1, 80, (low + high) / 2, low, high);

        Assert.Contains(expected, trend.Verdict(measuredMean: 4.0), StringComparison.Ordinal);
    }

    [Fact]
    public void The_gap_plots_error_bars_span_the_confidence_interval()
    {
        var gap = PairedComparison.Of([1, 2, 3, 4, 5]);
        var plot = Charts.LongRunGap([new LengthResult(10, [], Spread.Of([70.0]), Spread.Of([67.0]), gap, gap)], "gap");

        string svg = Charts.ToSvg(plot, 700, 380);

        var y = plot.Axes.Single(a => a.Position == OxyPlot.Axes.AxisPosition.Left);
        double top = y.Transform(gap.THigh), bottom = y.Transform(gap.TLow);
        var verticals = System.Text.RegularExpressions.Regex.Matches(svg, "<polyline points=\"([0-9.]+),([0-9.]+) ([0-9.]+),([0-9.]+)\"")
            .Select(m => m.Groups.Values.Skip(1).Select(g => double.Parse(g.Value, System.Globalization.CultureInfo.InvariantCulture)).ToArray())
            .Where(p => Math.Abs(p[0] - p[2]) < 0.01).ToArray();
        Assert.True(verticals.Any(p => Math.Abs(Math.Min(p[1], p[3]) - top) < 0.5 && Math.Abs(Math.Max(p[1], p[3]) - bottom) < 0.5),
            $"no vertical bar from {top:0.0} to {bottom:0.0} px; vertical lines: {string.Join("; ", verticals.Select(p => $"{p[0]:0.0}: {p[1]:0.0}–{p[3]:0.0}"))}");
    }

    [Fact]
    public void The_committed_page_is_what_the_results_command_generates_from_the_committed_records()
    {
        // The command the page names in its first lines, with its pipelines: pipelines/ may hold experiments that
        // publish nothing yet, which the committed page does not cover.
        var files = ResultsPage.Build(CommittedPageExperiments(), Repository);

        foreach (var (name, content) in files)
        {
            string committed = Path.Combine(Repository, "docs", "results", name);
            Assert.True(File.Exists(committed), $"{committed} is missing: run `dotnet cake --target=Results` and commit docs/results.");
            Assert.True(content == File.ReadAllText(committed), $"{committed} is not what the published records give: run `dotnet cake --target=Results` and commit docs/results.");
        }
        Assert.Equal(files, ResultsPage.Build(CommittedPageExperiments(), Repository));
        Assert.Contains("Paired gap (off − on) over 5 seeds", files[ResultsPage.PageFile], StringComparison.Ordinal);
    }

    /// <summary>The experiments of the command the committed page says generated it (<c>pipeline results a.json b.json …</c>).</summary>
    private static IReadOnlyList<(ExperimentPipeline Pipeline, string File)> CommittedPageExperiments()
    {
        string page = File.ReadAllText(Path.Combine(Repository, "docs", "results", ResultsPage.PageFile));
        var command = System.Text.RegularExpressions.Regex.Match(page, "Generated by `pipeline results ([^`]+)`");
        Assert.True(command.Success, "the committed page does not name the command that generated it");
        return command.Groups[1].Value.Split(' ').Select(file => ResultsPage.Experiment(Path.Combine(Repository, file), Repository)).ToArray();
    }

    [Fact]
    public void The_experiments_answer_states_the_gap_the_page_states_from_the_same_records()
    {
        // Seed 42 trained in both flavours (the same weights): counted once by both, or the answer said 5.03 pp.
        var seeds = ExperimentPipeline.Load(Path.Combine(Repository, Seeds));
        var runs = PublishedRun.Of(seeds, Repository);

        string answer = string.Join("\n", ZeroInitAnswer.For(seeds, runs.Select(r => (r.Spec, r.Summary)).ToArray()));
        string page = ResultsPage.Build([(seeds, Seeds)], Repository)[ResultsPage.PageFile];

        Assert.Contains("Paired gap (off − on) over 5 seeds: +5.20 pp", page, StringComparison.Ordinal);
        Assert.Contains("costs 5.20 pp** of top-1 after 5 epochs", answer, StringComparison.Ordinal);
    }

    [Fact]
    public void A_page_over_runs_of_two_precisions_says_so()
    {
        var seeds = ExperimentPipeline.Load(Path.Combine(Repository, Seeds));
        string records = Path.Combine(_temp, "records");
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Repository, seeds.Results), "*", SearchOption.AllDirectories))
        {
            string copy = Path.Combine(records, Path.GetRelativePath(Path.Combine(Repository, seeds.Results), file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }
        var page = ResultsPage.Build([(seeds with { Results = records }, Seeds)], _temp)[ResultsPage.PageFile];
        Assert.Contains("Every run trained in bf16", page, StringComparison.Ordinal);

        var odd = RunFolder.PublishedIn(records, seeds.Runs().First().Name);
        odd.WriteSpec(odd.ReadSpec() with { Precision = Precision.Fp32 });
        page = ResultsPage.Build([(seeds with { Results = records }, Seeds)], _temp)[ResultsPage.PageFile];
        Assert.Contains("Warning: the runs mix precisions** (bf16: 11, fp32: 1)", page, StringComparison.Ordinal);
    }

    [Fact]
    public void The_page_covers_every_pipeline_that_publishes_results_the_short_run_answer_first()
    {
        var experiments = ResultsPage.ExperimentsIn(Repository);

        Assert.Equal(["pipelines/zero-init-seeds.json", "pipelines/zero-init-long-run.json", "pipelines/zero-init-long-run-fp32.json"], experiments.Select(e => e.File));

        Assert.Contains("no such folder", Assert.Throws<RunSpecException>(() => ResultsPage.ExperimentsIn(_temp)).Message);
        Directory.CreateDirectory(Path.Combine(_temp, "pipelines"));
        File.WriteAllText(Path.Combine(_temp, "pipelines", "unpublished.json"), "{ \"name\": \"x\", \"results\": \"\" }"); // "" publishes nothing
        Assert.Contains("no pipeline there names a \"results\" folder", Assert.Throws<RunSpecException>(() => ResultsPage.ExperimentsIn(_temp)).Message);
        string broken = Path.Combine(_temp, "pipelines", "broken.json");
        File.WriteAllText(broken, "{ \"name\": \"x\", \"results\": ");
        Assert.Contains(broken, Assert.Throws<RunSpecException>(() => ResultsPage.ExperimentsIn(_temp)).Message);
    }
}
