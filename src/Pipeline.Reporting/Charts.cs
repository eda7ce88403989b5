using System.Security.Cryptography;
using System.Text.RegularExpressions;
using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;
using Pipeline.Evaluation;
using Pipeline.Evaluation.History;
using Pipeline.Experiments;

namespace Pipeline.Reporting;

/// <summary>
/// The report's plots, drawn with OxyPlot and exported as inline SVG (text, no SkiaSharp, no files):
/// a confusion heat map, per-class bars, learning curves and the history trend.
/// </summary>
public static partial class Charts
{
    private static readonly OxyColor[] Palette =
    [
        OxyColor.FromRgb(0x1f, 0x77, 0xb4), OxyColor.FromRgb(0xff, 0x7f, 0x0e), OxyColor.FromRgb(0x2c, 0xa0, 0x2c),
        OxyColor.FromRgb(0xd6, 0x27, 0x28), OxyColor.FromRgb(0x94, 0x67, 0xbd), OxyColor.FromRgb(0x8c, 0x56, 0x4b),
        OxyColor.FromRgb(0xe3, 0x77, 0xc2), OxyColor.FromRgb(0x7f, 0x7f, 0x7f), OxyColor.FromRgb(0xbc, 0xbd, 0x22),
        OxyColor.FromRgb(0x17, 0xbe, 0xcf),
    ];

    /// <summary>
    /// SVG markup (an &lt;svg&gt; element, no XML declaration) for inlining into HTML, any number of times in
    /// one page. It has a viewBox, so CSS can scale it (<c>max-width:100%;height:auto</c>).
    /// </summary>
    public static string ToSvg(PlotModel model, int width, int height)
    {
        var exporter = new SvgExporter
        {
            Width = width,
            Height = height,
            IsDocument = false,
            TextMeasurer = new PixelTextMeasurer(width, height, model.Background),
        };
        using var stream = new MemoryStream();
        exporter.Export(model, stream);
        string svg = System.Text.Encoding.UTF8.GetString(stream.ToArray());
        // The exporter writes an XML declaration (and a BOM) even for a fragment: HTML wants neither.
        int start = svg.IndexOf("<svg", StringComparison.Ordinal);
        svg = start >= 0 ? svg[start..] : svg;
        svg = svg.Replace($"<svg width=\"{width}\" height=\"{height}\"", $"<svg viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\"", StringComparison.Ordinal);
        return UniqueClipPathIds(svg);
    }

    /// <summary>
    /// Every export numbers its clip paths clipPath1, clipPath2…, and ids are global to an HTML page: inlined
    /// together, every plot was clipped by the first plot's rectangles (heat maps and bars lost their last
    /// rows and right columns, bar labels their first letters). A prefix from the SVG's own hash makes them
    /// unique and keeps the output deterministic (two identical SVGs may share ids: their clip paths are equal).
    /// </summary>
    private static string UniqueClipPathIds(string svg)
    {
        string prefix = "p" + Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(svg)))[..10].ToLowerInvariant();
        return ClipPathId().Replace(svg, m => m.Groups[1].Value + prefix + "-" + m.Groups[2].Value);
    }

    [GeneratedRegex(@"(id=""|url\(#)(clipPath\d+)")]
    private static partial Regex ClipPathId();

    /// <summary>
    /// The exporter's default text measurer (PdfRenderContext) answers in PDF points, 3/4 of the SVG's pixels:
    /// every margin was a quarter too small (cut legend names, axis titles over tick labels).
    /// </summary>
    private sealed class PixelTextMeasurer(double width, double height, OxyColor background) : PdfRenderContext(width, height, background)
    {
        private const double PixelsPerPoint = 96.0 / 72.0;

        public override OxySize MeasureText(string text, string fontFamily, double fontSize, double fontWeight)
        {
            var size = base.MeasureText(text, fontFamily, fontSize, fontWeight);
            return new OxySize(size.Width * PixelsPerPoint, size.Height * PixelsPerPoint);
        }
    }

    /// <summary>
    /// A plot in the report's style. Text is measured as Helvetica and drawn as Arial (metric twins; Liberation
    /// Sans on Linux): with OxyPlot's default, Segoe UI, a browser without it drew another font than was measured.
    /// </summary>
    private static PlotModel NewPlot(string title) =>
        new() { Title = title, TitleFontSize = 13, DefaultFont = "Arial, Helvetica, sans-serif" };

    /// <summary>
    /// From this many classes on, class plots are compact (rows and columns of <see cref="CompactClassPixels"/>, no cell
    /// labels) and reports add a table of the most confused classes: 100 classes stay on a page, 1,000 still render.
    /// </summary>
    public const int CompactFromClasses = 21;

    /// <summary>Pixels per class row or column of a compact plot: 14 at 100 classes, down to 3 at 1,000.</summary>
    public static int CompactClassPixels(int classes) => Math.Clamp(1600 / classes, 3, 14);

    public static bool IsCompact(int classes) => classes >= CompactFromClasses;

    /// <summary>Height (px) of a plot with one row per class (heat map, per-class bars): grows with the class count.</summary>
    public static int ClassPlotHeight(int classes) => 170 + (IsCompact(classes) ? CompactClassPixels(classes) : 36) * classes;

    /// <summary>Width (px) of the confusion heat map: class labels and the colour scale, then one column per class.</summary>
    public static int ConfusionHeatMapWidth(int classes) => 180 + (IsCompact(classes) ? CompactClassPixels(classes) : 44) * classes;

    /// <summary>Axis label size for class names: as before up to 20 classes, then as tall as a compact row allows.</summary>
    private static double ClassLabelFontSize(int classes) => IsCompact(classes) ? Math.Max(1, CompactClassPixels(classes) - 3) : double.NaN;

    /// <summary>Rows: true class (top to bottom), columns: predicted class; cells: counts, shaded by the row's share.</summary>
    public static PlotModel ConfusionHeatMap(ModelEvaluation m)
    {
        var names = m.Metrics.PerClass.Select(c => c.Name).ToArray();
        int n = names.Length;
        var cm = m.Metrics.ConfusionMatrix;
        // HeatMapSeries indexes Data[x, y]; x = predicted, y = true with row 0 at the top.
        var share = new double[n, n];
        for (int t = 0; t < n; t++)
        {
            double total = Math.Max(1, cm[t].Sum());
            for (int p = 0; p < n; p++)
                share[p, n - 1 - t] = cm[t][p] / total;
        }
        var plot = NewPlot($"{m.ModelName}: confusion (row-normalised)");
        plot.Axes.Add(new LinearColorAxis { Position = AxisPosition.Right, Palette = OxyPalette.Interpolate(200, OxyColors.White, OxyColor.FromRgb(0x08, 0x30, 0x6b)), Minimum = 0, Maximum = 1, Title = "share of true class" });
        plot.Axes.Add(new CategoryAxis { Position = AxisPosition.Bottom, Key = "x", ItemsSource = names, Angle = -45, Title = "predicted", FontSize = ClassLabelFontSize(n) });
        plot.Axes.Add(new CategoryAxis { Position = AxisPosition.Left, Key = "y", ItemsSource = names.Reverse().ToArray(), Title = "true", FontSize = ClassLabelFontSize(n) });
        plot.Series.Add(new HeatMapSeries
        {
            X0 = 0,
            X1 = n - 1,
            Y0 = 0,
            Y1 = n - 1,
            XAxisKey = "x",
            YAxisKey = "y",
            Data = share,
            Interpolate = false,
            RenderMethod = HeatMapRenderMethod.Rectangles,
            LabelFontSize = IsCompact(n) ? 0 : 0.25, // no per-cell percentages in a compact map: they would not fit
            LabelFormatString = "0%",
        });
        return plot;
    }

    /// <summary>Precision and recall per class, as horizontal bars.</summary>
    public static PlotModel PerClassBars(ModelEvaluation m)
    {
        var classes = m.Metrics.PerClass;
        var plot = NewPlot($"{m.ModelName}: per-class precision and recall");
        plot.Legends.Add(new Legend { LegendPosition = LegendPosition.BottomRight, LegendPlacement = LegendPlacement.Outside, LegendOrientation = LegendOrientation.Horizontal });
        plot.Axes.Add(new CategoryAxis { Position = AxisPosition.Left, ItemsSource = classes.Select(c => c.Name).Reverse().ToArray(), GapWidth = 0.3, FontSize = ClassLabelFontSize(classes.Count) });
        plot.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Minimum = 0, Maximum = 1, Title = "fraction", MajorGridlineStyle = LineStyle.Dot });
        var precision = new BarSeries { Title = "precision", FillColor = Palette[0] };
        var recall = new BarSeries { Title = "recall", FillColor = Palette[1] };
        foreach (var c in classes.Reverse())
        {
            precision.Items.Add(new BarItem(double.IsNaN(c.Precision) ? 0 : c.Precision));
            recall.Items.Add(new BarItem(double.IsNaN(c.Recall) ? 0 : c.Recall));
        }
        plot.Series.Add(precision);
        plot.Series.Add(recall);
        return plot;
    }

    /// <summary>One metric per epoch, one line per training run (all variants on one plot).</summary>
    public static PlotModel LearningCurves(IReadOnlyList<(string Label, TrainingRun Run)> runs, Func<EpochMetrics, double?> metric, string title, string yTitle, bool percent)
    {
        var plot = NewPlot(title);
        plot.Legends.Add(new Legend { LegendPosition = LegendPosition.RightTop, LegendPlacement = LegendPlacement.Outside });
        plot.Axes.Add(EpochAxis());
        plot.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = yTitle, MajorGridlineStyle = LineStyle.Dot, StringFormat = percent ? "0'%'" : null });
        for (int i = 0; i < runs.Count; i++)
        {
            var line = new LineSeries { Title = runs[i].Label, Color = Palette[i % Palette.Length], MarkerType = MarkerType.Circle, MarkerSize = 2.5 };
            foreach (var e in runs[i].Run.Epochs)
            {
                double v = metric(e) ?? double.NaN; // null: an epoch the run did not validate
                if (double.IsFinite(v))
                    line.Points.Add(new DataPoint(e.Epoch, percent ? v * 100 : v));
            }
            plot.Series.Add(line);
        }
        return plot;
    }

    /// <summary>Validation loss (solid) and training loss (dashed) per epoch, one colour per training run.</summary>
    public static PlotModel LossCurves(IReadOnlyList<(string Label, TrainingRun Run)> runs)
    {
        var plot = NewPlot("Loss per epoch (trainer): val solid, train dashed");
        plot.Legends.Add(new Legend { LegendPosition = LegendPosition.RightTop, LegendPlacement = LegendPlacement.Outside });
        plot.Axes.Add(EpochAxis());
        plot.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = "cross-entropy loss", MajorGridlineStyle = LineStyle.Dot });
        for (int i = 0; i < runs.Count; i++)
        {
            var colour = Palette[i % Palette.Length];
            var val = new LineSeries { Title = runs[i].Label, Color = colour, MarkerType = MarkerType.Circle, MarkerSize = 2.5 };
            var train = new LineSeries { Title = null, Color = colour, LineStyle = LineStyle.Dash };
            foreach (var e in runs[i].Run.Epochs)
            {
                if (e.ValLoss is double v && double.IsFinite(v))
                    val.Points.Add(new DataPoint(e.Epoch, v));
                if (double.IsFinite(e.TrainLoss))
                    train.Points.Add(new DataPoint(e.Epoch, e.TrainLoss));
            }
            plot.Series.Add(val);
            plot.Series.Add(train);
        }
        return plot;
    }

    /// <summary>Epochs are whole numbers: ticks at integers only, however few epochs there are.</summary>
    private static LinearAxis EpochAxis() => new()
    {
        Position = AxisPosition.Bottom,
        Title = "epoch",
        MinimumMajorStep = 1,
        MinimumMinorStep = 1,
        StringFormat = "0",
        MinimumPadding = 0.02,
        MaximumPadding = 0.02,
        MajorGridlineStyle = LineStyle.Dot,
    };

    /// <summary>Top-1 of each model across the history's evaluation runs (on these examples), oldest to newest.</summary>
    public static PlotModel HistoryTrend(IReadOnlyList<HistoryRecord> records)
    {
        // Scheduled runs can be minutes or weeks apart: plot by run number, name the first and last dates.
        var runOrder = records.GroupBy(r => r.RunId).OrderBy(g => g.Min(r => r.Id)).Select((g, i) => (g.Key, i + 1)).ToDictionary();
        string span = records.Count == 0 ? "" :
            $" ({records.Min(r => r.TimestampUtc).UtcDateTime:yyyy-MM-dd} to {records.Max(r => r.TimestampUtc).UtcDateTime:yyyy-MM-dd} UTC)";
        var plot = NewPlot("Top-1 over evaluation runs" + span);
        plot.Legends.Add(new Legend { LegendPosition = LegendPosition.RightTop, LegendPlacement = LegendPlacement.Outside });
        plot.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = "evaluation run (oldest → newest)", MajorStep = Math.Max(1, Math.Ceiling(runOrder.Count / 10.0)), MinorStep = 1, MinimumPadding = 0.05, MaximumPadding = 0.05, MajorGridlineStyle = LineStyle.Dot });
        plot.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = "top-1 (%)", MinimumPadding = 0.1, MaximumPadding = 0.1, MajorGridlineStyle = LineStyle.Dot });
        int i = 0;
        foreach (var model in records.GroupBy(r => r.ModelName).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var line = new LineSeries { Title = model.Key, Color = Palette[i++ % Palette.Length], MarkerType = MarkerType.Circle, MarkerSize = 3 };
            foreach (var r in model.OrderBy(r => r.Id))
                line.Points.Add(new DataPoint(runOrder[r.RunId], r.Top1 * 100));
            plot.Series.Add(line);
        }
        return plot;
    }
}
