using System.Text.Json;
using Pipeline.Data;
using Pipeline.Evaluation;
using Pipeline.Experiments;
using Pipeline.Onnx;

namespace Pipeline.Benchmarks.Tests;

/// <summary>The benchmark at a toy size: every group measured, ratios against each group's first figure, the JSON record.</summary>
public sealed class BenchmarkTests
{
    [Fact]
    public void A_tiny_benchmark_measures_every_group_of_both_depths_and_writes_its_record()
    {
        var dataset = ImageFolderDataset.Open(ImageFolderDataset.FindDefaultRoot()!);
        var train = dataset.Train.FirstPerClass(3);
        var val = dataset.Val.FirstPerClass(1);
        var set = EvaluationSet.Create("bench", ImagenetteClasses.All.Select(c => c.Id).ToArray(),
            val.Select(i => new LabeledExample(i.Path, ImagenetteClasses.All[i.Label].Id)).ToArray(), dataset.Fingerprint);
        var settings = new BenchSettings { Batch = 4, ImageSize = 32, Steps = 1, Archs = [ResNetArch.ResNet18, ResNetArch.ResNet50], LoaderImages = 20, LoaderBatches = 3 };
        var stages = new List<string>();
        var streamed = new List<BenchFigure>();

        var report = new Benchmark(settings, new Progress(stages), new Progress<BenchFigure>(streamed)).Run(new BenchData(train, val, set, dataset.Fingerprint, RunExport.ModelClassesOf(dataset.Classes)));

        Assert.Equal(
            ["training resnet18", "inference resnet18", "training resnet50", "inference resnet50", "loader", "exports", "ML.NET pipeline"],
            report.Figures.Select(f => f.Group).Distinct());
        Assert.Equal(3, report.Figures.Count(f => f.Group == "training resnet50")); // NCHW fp32, channels-last fp32, channels-last bf16
        Assert.All(report.Figures, f => Assert.True(f.ImagesPerSecond > 0 && double.IsFinite(f.ImagesPerSecond), $"{f.Group}: {f.Name}: {f.ImagesPerSecond}"));
        foreach (var group in report.Figures.GroupBy(f => f.Group))
        {
            var baseline = group.First();
            Assert.Equal(1.0, baseline.Ratio, 12);
            Assert.All(group, f => Assert.Equal(f.ImagesPerSecond / baseline.ImagesPerSecond, f.Ratio, 9));
        }
        Assert.Contains(stages, s => s.StartsWith("exports: ResNet18", StringComparison.Ordinal)); // the first depth is exported

        using var json = JsonDocument.Parse(report.ToJson());
        Assert.Equal(["resnet18", "resnet50"], json.RootElement.GetProperty("arch").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(report.Figures.Count, json.RootElement.GetProperty("figures").GetArrayLength());
        Assert.Equal(CpuFeatures.ModelName, json.RootElement.GetProperty("machine").GetProperty("cpu").GetString());
    }

    /// <summary>Records synchronously, on the caller's thread (System.Progress would post to the thread pool).</summary>
    private sealed class Progress<T>(List<T> into) : IProgress<T>
    {
        public void Report(T value) => into.Add(value);
    }

    private sealed class Progress(List<string> into) : IProgress<string>
    {
        public void Report(string value) => into.Add(value);
    }
}
