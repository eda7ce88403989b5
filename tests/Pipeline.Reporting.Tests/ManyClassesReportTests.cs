using System.Text.RegularExpressions;
using System.Xml.Linq;
using Pipeline.Evaluation;
using Pipeline.Evaluation.Tests.Fixtures;
using Pipeline.Inference;
using SkiaSharp;

namespace Pipeline.Reporting.Tests;

/// <summary>A report of 100 classes stays readable: a compact confusion matrix, the most confused pairs, every class in the table.</summary>
public sealed class ManyClassesReportTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("pipeline-many-classes-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void A_hundred_class_evaluation_gets_a_compact_matrix_and_a_table_of_the_most_confused_pairs()
    {
        // 100 colours (a 5 × 5 × 4 grid of the RGB cube), a nearest-colour model, one image per class; five images carry
        // their neighbour's colour, so the model confuses exactly those five pairs.
        var colours = (from r in Enumerable.Range(0, 5) from g in Enumerable.Range(0, 5) from b in Enumerable.Range(0, 4)
                       select (R: r * 60f, G: g * 60f, B: b * 80f)).ToArray();
        var classes = colours.Select((_, k) => new ModelClass($"k{k:D3}", $"colour {k}")).ToArray();
        var confused = new[] { 3, 17, 42, 58, 99 };
        var examples = classes.Select((c, k) => new LabeledExample(Png($"{c.Id}.png", colours[confused.Contains(k) ? (k + 1) % 100 : k]), c.Id)).ToArray();
        var set = EvaluationSet.Create("colours-100 val", classes.Select(c => c.Id).ToArray(), examples);
        var (weights, bias) = TinyOnnx.NearestColour(colours);
        string model = Path.Combine(_folder, "nearest.onnx");
        TinyOnnx.Write(model, classes.Length, weights, bias, TestModels.Metadata(classes, input: 32).ToProperties(), [null, 3, 32, 32]);

        var run = new ModelEvaluator(new EvaluationOptions { Device = ComputeDevice.Cpu }).EvaluateAll([new ModelToEvaluate(model)], set);
        var report = EvaluationReport.Create(run, runsRoot: null);
        var files = ReportWriter.Write(report, Path.Combine(_folder, "report"));

        var m = run.Models[0];
        Assert.Equal(0.95, m.Metrics.Top1, 9);
        Assert.Equal(confused.Select(k => ($"colour {k}", $"colour {(k + 1) % 100}")).Order(),
            m.Metrics.TopConfusions(15).Select(c => (c.True.Name, c.Predicted.Name)).Order());
        string md = File.ReadAllText(files.Markdown);
        Assert.Contains("## Most confused classes", md);
        Assert.Contains("| nearest | colour 42 | colour 43 | 1 | 100.00 |", md);
        Assert.Equal(100, Regex.Matches(md, @"^\| colour \d+ \| [\d.]+ \|$", RegexOptions.Multiline).Count); // per-class recall, every class
        string html = File.ReadAllText(files.Html);
        Assert.Contains("<th class=\"l\">true class</th><th class=\"l\">predicted as</th>", html);

        // The heat map: 14 px per class (1,580 px for 100), no per-cell percentages, every class name on both axes.
        Assert.Equal(180 + 14 * 100, Charts.ConfusionHeatMapWidth(100));
        var svg = XElement.Parse(Charts.ToSvg(Charts.ConfusionHeatMap(m), Charts.ConfusionHeatMapWidth(100), Charts.ClassPlotHeight(100)));
        var texts = svg.Descendants(svg.Name.Namespace + "text").Select(t => t.Value).ToList();
        Assert.DoesNotContain(texts, t => Regex.IsMatch(t, @"^\d+%$"));
        Assert.Equal(2, texts.Count(t => t == "colour 57"));
        // Ten classes keep the roomy layout of every earlier report.
        Assert.Equal(180 + 44 * 10, Charts.ConfusionHeatMapWidth(10));
    }

    private string Png(string name, (float R, float G, float B) colour)
    {
        using var bitmap = new SKBitmap(40, 40, isOpaque: true);
        bitmap.Erase(new SKColor((byte)colour.R, (byte)colour.G, (byte)colour.B));
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        string path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, data.ToArray());
        return path;
    }
}
