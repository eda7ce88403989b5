using System.Text.Json;
using Pipeline.Data;
using Pipeline.Evaluation.Tests.Fixtures;
using Pipeline.Inference;
using Pipeline.Testing;

namespace Pipeline.Cli.Tests;

/// <summary>
/// The road of docs/your-own-data.md, run with the tool as a user runs it: a folder of photos (here generated, or a 5-class
/// subset of Imagenette made of links) → train → export (ONNX and a PyTorch state dict) → validate → the ML.NET evaluation,
/// by hand and as the scheduled plan → the inference package in an app. Tiny: 32 px, one epoch.
/// </summary>
public sealed class OwnDataRoadTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("pipeline-own-data-road-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private CliResult Run(params string[] args)
    {
        using var process = PipelineProcess.Start(_folder, new Dictionary<string, string> { ["PIPELINE_CACHE"] = Path.Combine(_folder, "cache") }, args);
        var result = process.Wait(TimeSpan.FromMinutes(5));
        Assert.True(result.ExitCode == 0, $"pipeline {string.Join(' ', args)}: {result}");
        return result;
    }

    [Fact]
    public void A_folder_of_photos_split_by_a_fraction_goes_from_training_to_a_nightly_evaluation_and_an_app()
    {
        // Three classes of 30 photos each, no train/ or val/: a fifth of each class is held out, the same fifth in every command.
        string data = FolderDatasets.Create(Path.Combine(_folder, "tools"), ["drill", "hammer", "saw"], trainPerClass: 24, valPerClass: 6, flat: true,
            names: new Dictionary<string, string> { ["drill"] = "Cordless drill", ["hammer"] = "Hammer", ["saw"] = "Hand saw" });
        string[] dataOptions = ["--data", data, "--val-fraction", "0.2"];

        var verified = Run(["data", "verify", .. dataOptions]);
        Assert.Contains("3 classes (classes.csv), 72 train, 18 val images", verified.Stdout.ReplaceLineEndings(" "));

        Run(["train", "--name", "tools-r18", "--epochs", "1", "--image-size", "32", "--head", "library", "--runs", "runs", .. dataOptions]);
        Run("export", "tools-r18", "--runs", "runs", "-o", "models/tools-r18.onnx");
        Run("export", "tools-r18", "--runs", "runs", "--state-dict", "-o", "state/tools-r18.safetensors");
        Assert.True(new FileInfo(Path.Combine(_folder, "state", "tools-r18.safetensors")).Length > 40_000_000);

        var validated = Run(["validate", "models/tools-r18.onnx", .. dataOptions]);
        Assert.Contains("on 18 val images", validated.Stdout);

        Run(["evaluate", "--models", "models", "--report-dir", "report", "--history", "history.db", "--device", "cpu", .. dataOptions]);
        string report = File.ReadAllText(Path.Combine(_folder, "report", "report.md"));
        Assert.Contains("| Cordless drill |", report);
        Assert.Contains("tools val", report);

        // The nightly job: a plan naming the folder and its split, as deploy/scheduled runs pipelines/evaluation.json.
        File.WriteAllText(Path.Combine(_folder, "nightly.json"), JsonSerializer.Serialize(new
        {
            name = "nightly-tools", models = new[] { "models" }, data, valFraction = 0.2, history = "history.db", reportDirectory = "nightly", device = "Cpu",
        }));
        var nightly = Run("evaluate", "--plan", "nightly.json");
        Assert.Contains("report", nightly.Stdout);
        Assert.Equal(2, Pipeline.Evaluation.History.EvaluationHistory.Open(Path.Combine(_folder, "history.db")).Records().Count);

        // A model scored on a dataset whose classes differ from its metadata is refused, both lists named (exit 2).
        using (var process = PipelineProcess.Start(_folder, "evaluate", "--models", "models", "--per-class", "1", "--report-dir", "imagenette", "--history", "", "--device", "cpu"))
        {
            var refused = process.Wait(TimeSpan.FromMinutes(5));
            Assert.True(refused.ExitCode == 2, refused.ToString());
            Assert.Contains("the model has 3 classes (drill, hammer, saw) but the dataset 'imagenette val' has 10 (n01440764,", refused.Stderr);
        }

        // The app: the inference package reads the class names from the model.
        using var classifier = ImageClassifier.Load(Path.Combine(_folder, "models", "tools-r18.onnx"));
        var predictions = classifier.Classify(FolderDatasets.Image(2, 3, 0), topK: 3);
        Assert.Equal(["Cordless drill", "Hammer", "Hand saw"], predictions.Select(p => p.ClassName).Order(StringComparer.Ordinal));
        Assert.Equal(1.0, predictions.Sum(p => p.Probability), 4);
    }

    [Fact]
    public void A_five_class_subset_of_Imagenette_made_of_links_trains_exports_and_evaluates_as_its_own_dataset()
    {
        string[] wnids = ["n01440764", "n02102040", "n03000684", "n03417042", "n03888257"];
        string data = FolderDatasets.ImagenetteSubset(Path.Combine(_folder, "imagenette-5"), Imagenette.Root, wnids, [.. ImagenetteClasses.ClassesFileLines(wnids)]);
        string[] slice = ["--data", data];

        Run(["train", "--name", "five", "--epochs", "1", "--image-size", "32", "--train-per-class", "13", "--val-per-class", "3", "--runs", "runs", .. slice]);
        Run("export", "five", "--runs", "runs", "-o", "models/five.onnx");
        Run(["evaluate", "--models", "models", "--per-class", "3", "--report-dir", "report", "--history", "", "--device", "cpu", .. slice]);

        string report = File.ReadAllText(Path.Combine(_folder, "report", "report.md"));
        Assert.Contains("imagenette-5 val", report);
        Assert.Contains("| garbage truck |", report);
        using var classifier = ImageClassifier.Load(Path.Combine(_folder, "models", "five.onnx"));
        Assert.Equal(["tench", "English springer", "chain saw", "garbage truck", "parachute"], classifier.Metadata.Classes.Select(c => c.Name));
    }
}
