using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using OxyPlot;
using Pipeline.Evaluation;
using Pipeline.Evaluation.Tests.Fixtures;
using Pipeline.Inference;
using Pipeline.Reporting.Tests.Fixtures;

namespace Pipeline.Reporting.Tests;

/// <summary>The three report formats, from a real evaluation of two tiny models on a val slice.</summary>
public sealed class ReportTests : IClassFixture<ReportTests.TwoModels>
{
    /// <summary>Evaluated once for the class: two models, one with a training run (curves), one without.</summary>
    public sealed class TwoModels : IDisposable
    {
        public TestModels Models { get; } = new();
        public string RunsRoot { get; }
        public EvaluationRun Run { get; }

        public TwoModels()
        {
            RunsRoot = Path.Combine(Models.Folder, "runs");
            TrainingRuns.Write(RunsRoot, "timm-zero-s1", [0.21, 0.34, 0.42], resizeScale: 1.25);
            var withRun = TestModels.Metadata(Imagenette.Classes) with { RunName = "timm-zero-s1", Flavour = "timm", ZeroInitLast = true };
            Models.Random("timm-zero-s1", seed: 1, metadata: withRun);
            Models.Random("tv-s1", seed: 2, metadata: TestModels.Metadata(Imagenette.Classes) with { Quantization = "int8 (QDQ): labelled so in its metadata only" });
            Run = new ModelEvaluator(new EvaluationOptions { Device = ComputeDevice.Cpu })
                .EvaluateAll(ModelToEvaluate.Find(Models.Folder), Imagenette.ValSlice(perClass: 2));
        }

        public void Dispose() => Models.Dispose();
    }

    private readonly TwoModels _f;
    private readonly EvaluationReport _report;

    public ReportTests(TwoModels fixture)
    {
        _f = fixture;
        _report = EvaluationReport.Create(_f.Run, runsRoot: _f.RunsRoot);
    }

    [Fact]
    public void Json_holds_every_metric_of_every_model()
    {
        using var doc = JsonDocument.Parse(ReportWriter.ToJson(_report));
        var root = doc.RootElement;
        Assert.Equal(ReportWriter.JsonSchema, root.GetProperty("schema").GetString());
        var models = root.GetProperty("models").EnumerateArray().ToArray();
        Assert.Equal(["timm-zero-s1", "tv-s1"], models.Select(m => m.GetProperty("name").GetString()));
        var metrics = models[0].GetProperty("metrics");
        Assert.Equal(_f.Run.Models[0].Metrics.Top1, metrics.GetProperty("top1").GetDouble());
        Assert.Equal(10, metrics.GetProperty("confusionMatrix").GetArrayLength());
        Assert.Equal(10, metrics.GetProperty("perClass").GetArrayLength());
        Assert.Equal(20, metrics.GetProperty("count").GetInt64());
        Assert.True(models[0].GetProperty("speed").GetProperty("imagesPerSecond").GetDouble() > 0);
        Assert.Equal(3, models[0].GetProperty("trainingRun").GetProperty("epochs").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, models[1].GetProperty("trainingRun").ValueKind);
        Assert.Equal("CPU", models[1].GetProperty("device").GetString());
        Assert.Equal(_f.Run.ExamplesFingerprint, root.GetProperty("run").GetProperty("set").GetProperty("examplesFingerprint").GetString());
    }

    [Fact]
    public void Html_is_self_contained_with_table_heat_maps_bars_and_learning_curves()
    {
        string html = ReportWriter.ToHtml(_report);

        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("<link", html);
        Assert.DoesNotContain("src=\"http", html);
        Assert.Contains("<tr><th class=\"l\">model</th><th class=\"l\">zero-init</th>", html); // the comparison, first
        Assert.Contains("timm-zero-s1: confusion (row-normalised)", html);
        Assert.Contains("tv-s1: per-class precision and recall", html);
        Assert.Contains("Val top-1 per epoch (trainer)", html);
        Assert.Contains("Loss per epoch (trainer): val solid, train dashed", html);
        Assert.True(html.Split("<svg").Length - 1 == 7, "2 learning-curve plots + the run's residual branches + a heat map and a bar chart per model");
        Assert.Contains("<h2>Residual branches</h2>", html);
        Assert.Contains("does not name its training run", html);
    }

    [Fact]
    public void Html_plots_are_clipped_by_their_own_clip_paths()
    {
        // Ids are global to a page: with repeated ids, each plot was clipped by the first plot's rectangles.
        var svgs = Regex.Matches(ReportWriter.ToHtml(_report), "<svg.*?</svg>", RegexOptions.Singleline).Select(m => XElement.Parse(m.Value)).ToArray();
        var ids = svgs.SelectMany(IdsIn).ToArray();
        Assert.True(ids.Length == ids.Distinct().Count(), "every id once in the page, got " + string.Join(", ", ids));
        foreach (var svg in svgs)
        {
            var references = Regex.Matches(svg.ToString(), @"url\(#([^)]+)\)").Select(m => m.Groups[1].Value);
            Assert.All(references, r => Assert.Contains(r, IdsIn(svg)));
        }
    }

    /// <summary>The fixture names classes by wnid; the readable names are the long labels that got cut.</summary>
    private static readonly string[] ImagenetteNames =
        ["tench", "English springer", "cassette player", "chain saw", "church", "French horn", "garbage truck", "gas pump", "golf ball", "parachute"];

    [Fact]
    public void Ten_class_heat_map_and_bars_show_every_class_name_whole_inside_the_view_box()
    {
        var m = _f.Run.Models[0];
        m = m with { Metrics = m.Metrics with { PerClass = m.Metrics.PerClass.Select((c, i) => c with { Name = ImagenetteNames[i] }).ToArray() } };
        int height = Charts.ClassPlotHeight(10);
        foreach (var (plot, width) in new[] { (Charts.ConfusionHeatMap(m), Charts.ConfusionHeatMapWidth(10)), (Charts.PerClassBars(m), 520) })
        {
            var svg = XElement.Parse(Charts.ToSvg(plot, width, height));
            Assert.Equal($"0 0 {width} {height}", (string?)svg.Attribute("viewBox"));
            foreach (string name in ImagenetteNames)
            {
                // The class axis' label: unrotated, right-aligned at x, centred on its row at y.
                var label = svg.Descendants(svg.Name.Namespace + "text").Single(t => t.Value == name && !((string)t.Attribute("transform")!).Contains("rotate"));
                var xy = Regex.Match((string)label.Attribute("transform")!, @"translate\(([-\d.]+),([-\d.]+)\)");
                double x = double.Parse(xy.Groups[1].Value, CultureInfo.InvariantCulture), y = double.Parse(xy.Groups[2].Value, CultureInfo.InvariantCulture);
                double left = x - PixelWidth(name, (double)label.Attribute("font-size")!);
                Assert.True(left >= 0 && y > 0 && y < height, $"{plot.Title}: '{name}' spans x {left:0.#} to {x:0.#} at y {y:0.#}; expected inside 0 0 {width} {height}");
            }
        }
    }

    private static IEnumerable<string> IdsIn(XElement svg) => svg.Descendants().Select(e => (string?)e.Attribute("id")).OfType<string>();

    /// <summary>Helvetica's width (Arial's, as the browser draws it) in CSS pixels: PdfRenderContext answers in points.</summary>
    private static double PixelWidth(string text, double fontSize) =>
        new PdfRenderContext(1, 1, OxyColors.White).MeasureText(text, "Helvetica", fontSize, 400).Width * 96 / 72;

    [Fact]
    public void Markdown_has_the_comparison_table_and_the_agreement_with_the_trainer()
    {
        string md = ReportWriter.ToMarkdown(_report);

        Assert.Contains("| model | zero-init | precision | epochs | seed | top-1 % |", md);
        Assert.Contains("| timm-zero-s1 | yes | fp32 |", md);
        Assert.Contains("| tv-s1 | no | int8 |", md); // precision from the metadata's quantization
        Assert.Contains("| model | architecture | flavour | head | recipe |", md); // rarely read columns, in the details table
        Assert.Contains("| timm-zero-s1 | resnet18 | timm | mean-colour | test |", md);
        Assert.Contains("## Agreement with the trainer", md);
        Assert.Contains("vs trainer 42.00 %", md); // the run's last epoch: the metadata has no ValTop1
        Assert.Contains("Device: CPU", md);
    }

    [Fact]
    public void A_gap_with_the_trainer_quotes_the_trainer_resize_next_to_ml_net_s()
    {
        var a = _report.Models[0].Agreement;
        Assert.NotNull(a);
        Assert.Equal(0.42, a.TrainerTop1);
        // The slice has 20 images, so ML.NET's top-1 is a multiple of 5 %: never within the 1 pp tolerance of the
        // trainer's 42 %, whatever the random model predicts. The gap is always flagged.
        Assert.Equal(20, _f.Run.Examples);
        Assert.True(a.Flagged, $"ML.NET {a.MlNetTop1:P0} vs trainer 42 % must be flagged");
        Assert.Contains("recipeOverride.resizeScale=1.25", a.Note);
        Assert.Contains("DrawBitmap(FilterQuality.High)", a.Note);
        Assert.Null(_report.Models[1].Agreement);
    }

    [Fact]
    public void Reports_are_written_as_three_files()
    {
        string dir = Path.Combine(_f.Models.Folder, "report");
        var files = ReportWriter.Write(_report, dir);
        Assert.All(new[] { files.Json, files.Markdown, files.Html }, f => Assert.True(new FileInfo(f).Length > 500, f));
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
    }

    [Fact]
    public void Plots_render_in_the_same_process_as_ml_net_image_loading()
    {
        // OxyPlot draws SVG without SkiaSharp; ML.NET's LoadImages/ResizeImages use SkiaSharp 2.88.
        string svg = Charts.ToSvg(Charts.PerClassBars(_f.Run.Models[0]), 400, 300);
        var again = new ModelEvaluator(new EvaluationOptions { Device = ComputeDevice.Cpu })
            .Evaluate(new ModelToEvaluate(_f.Run.Models[1].ModelPath), Imagenette.ValSlice(1));
        string svg2 = Charts.ToSvg(Charts.ConfusionHeatMap(again), 400, 300);
        Assert.StartsWith("<svg", svg.TrimStart());
        Assert.StartsWith("<svg", svg2.TrimStart());
        Assert.Equal(10, again.Metrics.Count);
    }
}
