using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;
using Pipeline.Experiments;
using Pipeline.Reporting.Results;

namespace Pipeline.Reporting;

/// <summary>The results page's plots: seeds' curves with their spread, residual branches waking up, the long-run comparison.</summary>
public static partial class Charts
{
    private static readonly OxyColor OffColour = Palette[0], OnColour = Palette[1];

    /// <summary>Val top-1 per epoch, the mean of each arm's seeds as a line and their range as a band.</summary>
    public static PlotModel SeedCurves(IReadOnlyList<PublishedRun> off, IReadOnlyList<PublishedRun> on, string title)
    {
        var plot = NewPlot(title);
        plot.Legends.Add(new Legend { LegendPosition = LegendPosition.BottomRight, LegendPlacement = LegendPlacement.Inside });
        plot.Axes.Add(EpochAxis());
        plot.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = "val top-1 (%)", MajorGridlineStyle = LineStyle.Dot });
        foreach (var (runs, label, colour) in new[] { (off, "zero-init off", OffColour), (on, "zero-init on", OnColour) })
        {
            var byEpoch = runs.SelectMany(r => r.Epochs).Where(e => e.ValTop1 is not null).GroupBy(e => e.Epoch).OrderBy(g => g.Key).ToArray();
            if (byEpoch.Length == 0)
                continue;
            var band = new AreaSeries { Color = OxyColor.FromAColor(0, colour), Fill = OxyColor.FromAColor(50, colour), Title = null };
            var mean = new LineSeries { Title = $"{label} (mean of {runs.Count}, band: min–max)", Color = colour, MarkerType = MarkerType.Circle, MarkerSize = 3 };
            foreach (var g in byEpoch)
            {
                var values = g.Select(e => e.ValTop1!.Value * 100).ToArray();
                band.Points.Add(new DataPoint(g.Key, values.Max()));
                band.Points2.Add(new DataPoint(g.Key, values.Min()));
                mean.Points.Add(new DataPoint(g.Key, values.Average()));
            }
            plot.Series.Add(band);
            plot.Series.Add(mean);
        }
        return plot;
    }

    /// <summary>
    /// Each block's residual contribution (‖branch‖ / ‖shortcut‖ on the probe batch) at every measurement point,
    /// averaged over the runs given: one line per block, the measurement points evenly spaced.
    /// </summary>
    public static PlotModel ResidualContributions(IReadOnlyList<IReadOnlyList<DynamicsRecord>> runs, string title, double yMax)
    {
        var points = DynamicsTable.Points(runs);
        var plot = NewPlot(title);
        plot.Legends.Add(new Legend { LegendPosition = LegendPosition.RightTop, LegendPlacement = LegendPlacement.Outside });
        plot.Axes.Add(new CategoryAxis { Position = AxisPosition.Bottom, Title = "training progress (epochs)", ItemsSource = points.Select(DynamicsTable.Label).ToArray(), GapWidth = 0 });
        plot.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = "‖branch‖ / ‖shortcut‖", Minimum = 0, Maximum = yMax, MajorGridlineStyle = LineStyle.Dot });
        var blocks = runs.SelectMany(r => r).SelectMany(d => d.Blocks).Select(b => b.Block).Distinct().ToArray();
        for (int b = 0; b < blocks.Length; b++)
        {
            var line = new LineSeries { Title = blocks[b], Color = Palette[b % Palette.Length], MarkerType = MarkerType.Circle, MarkerSize = 2 };
            for (int i = 0; i < points.Count; i++)
            {
                double mean = DynamicsTable.MeanContribution(runs, points[i], blocks[b]);
                if (double.IsFinite(mean))
                    line.Points.Add(new DataPoint(i, mean));
            }
            plot.Series.Add(line);
        }
        return plot;
    }

    /// <summary>Final top-1 against the training length, each arm's mean with its 95 % t interval, the length on a log2 axis.</summary>
    public static PlotModel LongRunTop1(IReadOnlyList<LengthResult> lengths, string title)
    {
        var plot = NewPlot(title);
        plot.Legends.Add(new Legend { LegendPosition = LegendPosition.BottomRight, LegendPlacement = LegendPlacement.Inside });
        plot.Axes.Add(LengthAxis(lengths.Min(l => l.Epochs), lengths.Max(l => l.Epochs)));
        plot.Axes.Add(ValueAxis("final val top-1 (%)", lengths.SelectMany(l => new[] { l.Off, l.On }).SelectMany(s => new[] { s.Mean - HalfWidth95(s), s.Mean + HalfWidth95(s) })));
        foreach (var (arm, label, colour, dx) in new[] { (0, "zero-init off", OffColour, 0.97), (1, "zero-init on", OnColour, 1.03) })
        {
            var line = new LineSeries { Title = label, Color = colour, MarkerType = MarkerType.Circle, MarkerSize = 3 };
            var bars = new ScatterErrorSeries { MarkerFill = colour, ErrorBarColor = colour, MarkerSize = 0, ErrorBarStrokeThickness = 1.5 };
            foreach (var l in lengths)
            {
                var s = arm == 0 ? l.Off : l.On;
                line.Points.Add(new DataPoint(l.Epochs * dx, s.Mean));
                bars.Points.Add(ErrorBar(l.Epochs * dx, s.Mean, HalfWidth95(s)));
            }
            plot.Series.Add(bars);
            plot.Series.Add(line);
        }
        return plot;
    }

    /// <summary>The paired gap (off − on) against the training length, with its 95 % t interval and the zero line.</summary>
    /// <param name="trends">Each fitted form's line, drawn dotted out to its length, with its 95 % prediction interval there.</param>
    public static PlotModel LongRunGap(IReadOnlyList<LengthResult> lengths, string title, IReadOnlyList<GapTrend> trends)
    {
        var plot = NewPlot(title);
        plot.Legends.Add(new Legend { LegendPosition = LegendPosition.TopRight, LegendPlacement = LegendPlacement.Inside });
        int shortest = lengths.Min(l => l.Epochs), longest = Math.Max(lengths.Max(l => l.Epochs), trends.Select(t => t.AtEpochs).DefaultIfEmpty(0).Max());
        plot.Axes.Add(LengthAxis(shortest, longest));
        plot.Axes.Add(ValueAxis("top-1 gap, off − on (pp)", lengths.SelectMany(l => new[] { l.Gap.Spread.Mean, l.Gap.TLow, l.Gap.THigh })
            .Concat(trends.SelectMany(t => new[] { t.PredictionLow, t.PredictionHigh })).Append(0)));
        var zero = new LineSeries { Color = OxyColors.Gray, LineStyle = LineStyle.Dash, Title = null };
        zero.Points.Add(new DataPoint(shortest * 0.8, 0));
        zero.Points.Add(new DataPoint(longest * 1.25, 0));
        plot.Series.Add(zero);
        for (int i = 0; i < trends.Count; i++)
        {
            var trend = trends[i];
            var colour = Palette[4 + i];
            var fitted = new LineSeries { Color = colour, LineStyle = i == 0 ? LineStyle.Dot : LineStyle.DashDot, Title = $"trend {trend.FormText}" };
            for (double epochs = shortest; epochs <= trend.AtEpochs * 1.0001; epochs *= Math.Pow(2, 0.25))
                fitted.Points.Add(new DataPoint(epochs, trend.At(epochs)));
            plot.Series.Add(fitted);
            var interval = new ScatterErrorSeries { MarkerFill = OxyColors.White, MarkerStroke = colour, ErrorBarColor = colour, MarkerSize = 3, MarkerType = MarkerType.Circle };
            interval.Points.Add(ErrorBar(trend.AtEpochs * (1 + 0.04 * i), trend.Predicted, (trend.PredictionHigh - trend.PredictionLow) / 2));
            plot.Series.Add(interval);
        }
        var bars = new ScatterErrorSeries { MarkerFill = Palette[3], ErrorBarColor = Palette[3], MarkerSize = 3, MarkerType = MarkerType.Circle, ErrorBarStrokeThickness = 1.5 };
        var line = new LineSeries { Color = Palette[3], Title = "paired gap" };
        foreach (var l in lengths.Where(l => double.IsFinite(l.Gap.Spread.Mean)))
        {
            double half = double.IsFinite(l.Gap.THigh) ? (l.Gap.THigh - l.Gap.TLow) / 2 : 0;
            bars.Points.Add(ErrorBar(l.Epochs, l.Gap.Spread.Mean, half));
            line.Points.Add(new DataPoint(l.Epochs, l.Gap.Spread.Mean));
        }
        plot.Series.Add(line);
        plot.Series.Add(bars);
        return plot;
    }

    /// <summary>
    /// The median over blocks of each arm's mean residual contribution, at every measurement point after
    /// initialisation, on a log axis: zero-init's branches, which start at zero and stay small, are as readable as the
    /// others' (on a shared linear axis they read as a flat line at zero).
    /// </summary>
    public static PlotModel MedianContributionByEpoch(IReadOnlyList<IReadOnlyList<DynamicsRecord>> off, IReadOnlyList<IReadOnlyList<DynamicsRecord>> on, string title)
    {
        var plot = NewPlot(title);
        plot.Legends.Add(new Legend { LegendPosition = LegendPosition.BottomRight, LegendPlacement = LegendPlacement.Inside });
        var points = DynamicsTable.Points([.. off, .. on]).Where(p => p > 0).ToArray();
        plot.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = "training progress (epochs)", Minimum = 0, MajorGridlineStyle = LineStyle.Dot });
        var shown = new[] { off, on }.SelectMany(arm => points.Select(p => DynamicsTable.MedianContribution(arm, p))).Where(v => v > 0).DefaultIfEmpty(1).ToArray();
        plot.Axes.Add(new LogarithmicAxis
        {
            Position = AxisPosition.Left, Title = "median ‖branch‖ / ‖shortcut‖ (log scale)", Base = 10, MajorGridlineStyle = LineStyle.Dot,
            Minimum = shown.Min() / 1.5, Maximum = shown.Max() * 1.5,
        });
        foreach (var (runs, label, colour) in new[] { (off, "zero-init off", OffColour), (on, "zero-init on", OnColour) })
        {
            var line = new LineSeries { Title = $"{label} ({runs.Count} runs)", Color = colour, MarkerType = MarkerType.Circle, MarkerSize = 2 };
            foreach (double p in points)
            {
                double median = DynamicsTable.MedianContribution(runs, p);
                if (median > 0)
                    line.Points.Add(new DataPoint(p, median));
            }
            plot.Series.Add(line);
        }
        return plot;
    }

    private static LogarithmicAxis LengthAxis(int shortest, int longest) => new()
    {
        Position = AxisPosition.Bottom,
        Title = "training length (epochs, log scale)",
        Base = 2,
        Minimum = shortest * 0.8,
        Maximum = longest * 1.25,
        MajorGridlineStyle = LineStyle.Dot,
        StringFormat = "0",
    };

    /// <summary>A value axis that shows every bar end whole: OxyPlot sizes it to the points only, which cut the bars off.</summary>
    private static LinearAxis ValueAxis(string title, IEnumerable<double> values)
    {
        var shown = values.Where(double.IsFinite).DefaultIfEmpty(0).ToArray();
        double low = shown.Min(), high = shown.Max(), margin = Math.Max((high - low) * 0.06, 0.5);
        return new LinearAxis { Position = AxisPosition.Left, Title = title, MajorGridlineStyle = LineStyle.Dot, Minimum = low - margin, Maximum = high + margin };
    }

    /// <summary>A point with a vertical bar <paramref name="halfWidth"/> above and below it: OxyPlot's ErrorY is the bar's whole length.</summary>
    private static ScatterErrorPoint ErrorBar(double x, double y, double halfWidth) => new(x, y, 0, 2 * halfWidth);

    /// <summary>The 95 % t interval's half-width of a mean; a single run draws no bar.</summary>
    private static double HalfWidth95(Spread s) => s.Count > 1 ? TInterval.HalfWidth(s, PairedComparison.Confidence) : 0;
}
