using Pipeline.Evaluation.History;
using Pipeline.Evaluation.Tests.Fixtures;
using Pipeline.Experiments;
using Pipeline.Models;
using Pipeline.Training;
using TorchSharp;

namespace Pipeline.Cli.Tests;

/// <summary>
/// Issue #13 through the tool itself, as a scheduler runs it: bad input never crashes it (exit 2 and one line on
/// stderr naming the file and the fix) and never passes silently (nothing scored, nothing recorded).
/// </summary>
public sealed class BadInputCliTests : IDisposable
{
    private readonly CliSandbox _sandbox = new();
    private readonly TestModels _models = new();

    public void Dispose()
    {
        _sandbox.Dispose();
        _models.Dispose();
    }

    private static void AssertUsageError(CliResult result, params string[] expected)
    {
        Assert.True(result.ExitCode == ExitCodes.UsageError, $"expected exit 2, got:\n{result}");
        string line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("error: ", line);
        foreach (string text in expected)
            Assert.Contains(text, line);
        Assert.DoesNotContain("   at ", result.Stderr); // no stack trace
    }

    [Theory]
    [InlineData("--flavour 'foo' is not one of torchvision, timm. See `pipeline train --help`.", "train", "--flavour", "foo")]
    [InlineData("--epochs 'five' is not a whole number. See `pipeline train --help`.", "train", "--epochs", "five")]
    [InlineData("Unrecognized command or argument '--bogus'. See `pipeline evaluate --help`.", "evaluate", "--bogus")]
    [InlineData("Required argument missing for option: '--history'. See `pipeline evaluate --help`.", "evaluate", "--history")]
    [InlineData("--batch must be at least 1 (is 0). See `pipeline validate --help`.", "validate", "model.onnx", "--batch", "0")]
    [InlineData("Required argument missing for option: '--data'. See `pipeline data verify --help`.", "data", "verify", "--data")]
    [InlineData("Required command was not provided. See `pipeline --help`.")]
    public void A_command_line_that_does_not_parse_exits_2_with_one_line_pointing_at_the_commands_help(string message, params string[] args)
    {
        var result = _sandbox.Run(args);

        AssertUsageError(result);
        Assert.Equal("error: " + message, result.ErrorLines[0]);
        Assert.Equal("", result.Stdout); // not the whole help text
    }

    [Fact]
    public void A_truncated_jpeg_is_refused_the_same_way_by_every_command_that_reads_it_and_nothing_is_recorded()
    {
        string image = _sandbox.FirstImage("val", "n03000684");
        File.WriteAllBytes(image, File.ReadAllBytes(image)[..2048]); // the first 2 KB: a header ML.NET's decoder would fill in with grey
        string relative = Path.GetRelativePath(_sandbox.Data, image).Replace('\\', '/');
        string model = _models.Random("model");
        string history = _sandbox.Path_("history.db");

        var runs = new[]
        {
            _sandbox.Run("data", "verify"),
            _sandbox.Run("validate", model),
            _sandbox.Run("evaluate", "--models", model, "--history", history, "--report-dir", _sandbox.Path_("report")),
            _sandbox.Run("train", "--name", "t", "--epochs", "1", "--image-size", "32", "--train-per-class", "2", "--val-per-class", "2", "--runs", _sandbox.Path_("runs")),
        };

        foreach (var result in runs)
        {
            Assert.True(result.ExitCode == ExitCodes.UsageError, result.ToString());
            Assert.Contains($"cannot be used: {relative}: the JPEG is truncated (its data ends early). Delete the file or replace it with the original image from the archive.", result.Stderr);
            Assert.Single(result.ErrorLines);
        }
        Assert.False(File.Exists(history), "nothing may be recorded");
        Assert.False(Directory.Exists(_sandbox.Path_("report")));
    }

    [Fact]
    public void A_non_number_in_the_model_metadata_exits_2_from_validate_and_evaluate_naming_the_key()
    {
        string model = _models.Path_("mean-abc.onnx");
        var properties = new Dictionary<string, string>(TestModels.Metadata(Imagenette.Classes).ToProperties()) { ["pipeline.mean"] = "abc" };
        TinyOnnx.Write(model, 10, new float[30], new float[10], properties, [null, 3, 72, 72]);

        foreach (var result in new[] { _sandbox.Run("validate", model), _sandbox.Run("evaluate", "--models", model, "--history", "") })
            AssertUsageError(result, model, "ONNX metadata 'pipeline.mean' = 'abc' is not a comma-separated list of numbers. Re-export the model.");
    }

    [Fact]
    public void Validate_refuses_a_model_whose_metadata_disagrees_with_its_graph_as_evaluate_does()
    {
        string model = _models.Random("wrong-shape", inputDims: [null, 3, 64, 64]); // metadata: 72 × 72

        foreach (var result in new[] { _sandbox.Run("validate", model), _sandbox.Run("evaluate", "--models", model, "--history", "") })
            AssertUsageError(result, model, "Single[?,3,64,64]", "float[batch,3,72,72]", "graph and metadata disagree");
    }

    [Theory]
    [InlineData("not-sqlite", "not a readable evaluation history")]
    [InlineData("folder", "it is a folder, not a file")]
    [InlineData("below-a-file", "cannot be used as the evaluation history")]
    public void Evaluate_refuses_an_unusable_history_before_scoring_anything(string kind, string problem)
    {
        string history = _sandbox.Path_("history.db");
        switch (kind)
        {
            case "not-sqlite": File.WriteAllText(history, "not a database"); break;
            case "folder": Directory.CreateDirectory(history); break;
            case "below-a-file": File.WriteAllText(history, "a file"); history = Path.Combine(history, "h.db"); break;
        }

        var result = _sandbox.Run("evaluate", "--models", _models.Random("model"), "--history", history, "--report-dir", _sandbox.Path_("report"));

        AssertUsageError(result, history, problem, "Nothing was scored.");
        Assert.DoesNotContain("top-1", result.Stdout);
    }

    [Fact]
    public void One_unreadable_model_in_a_folder_stops_the_evaluation_before_any_model_is_scored_or_recorded()
    {
        string folder = Directory.CreateDirectory(_sandbox.Path_("models")).FullName;
        File.Copy(_models.Random("a-good"), Path.Combine(folder, "a-good.onnx"));
        File.WriteAllBytes(Path.Combine(folder, "b-truncated.onnx"), File.ReadAllBytes(Path.Combine(folder, "a-good.onnx"))[..100]);
        string history = _sandbox.Path_("history.db");

        var result = _sandbox.Run("evaluate", "--models", folder, "--history", history);

        AssertUsageError(result, Path.Combine(folder, "b-truncated.onnx"), "truncated or is not ONNX");
        Assert.DoesNotContain("a-good: top-1", result.Stdout);
        Assert.Empty(EvaluationHistory.Open(history).Records());
    }

    [Fact]
    public void A_checkpoint_truncated_in_its_tensor_data_is_refused_by_train_naming_the_file()
    {
        // A real checkpoint of the run the command line describes, cut at two thirds: inside the weights.
        string runs = _sandbox.Path_("runs");
        string checkpoint = Path.Combine(Directory.CreateDirectory(Path.Combine(runs, "cut")).FullName, "checkpoint.bin");
        TorchRuntime.EnsureLoaded();
        using (var model = ResNet.Create(new ResNetConfig(ResNetFlavour.Timm, true, HeadKind.Fastai)))
        using (var optimizer = torch.optim.SGD(model.parameters(), 0.1))
            Checkpoint.Save(checkpoint, new Checkpoint.Header("{}", 1, 1, [], "fingerprint"), model, optimizer);
        File.WriteAllBytes(checkpoint, File.ReadAllBytes(checkpoint)[..(int)(new FileInfo(checkpoint).Length * 2 / 3)]);

        string runFile = _sandbox.Path_("cut.json"); // the sandbox's 20 training images need a batch smaller than the preset's 64
        File.WriteAllText(runFile, new RunSpec
        {
            Name = "cut",
            Flavour = ResNetFlavour.Timm,
            Epochs = 2,
            ImageSize = 32,
            TrainPerClass = 2,
            ValPerClass = 2,
            RecipeOverride = Recipe.FastaiReference with { BatchSize = 8 },
        }.ToJson());

        var result = _sandbox.Run("train", runFile, "--runs", runs);

        AssertUsageError(result, checkpoint, "is damaged: its content does not match its checksum", "Delete it to start the run over.");
    }

    [Fact]
    public void A_run_file_with_a_misspelled_key_is_refused_naming_the_key()
    {
        string file = _sandbox.Path_("run.json");
        File.WriteAllText(file, """{ "name": "typo", "flavour": "timm", "epocs": 1 }""");

        var result = _sandbox.Run("train", file, "--runs", _sandbox.Path_("runs"));

        AssertUsageError(result, file, "'epocs'");
        Assert.False(Directory.Exists(_sandbox.Path_("runs")));
    }

    [Fact]
    public void Validate_and_evaluate_show_the_dataset_warnings_and_the_report_records_them()
    {
        Directory.CreateDirectory(Path.Combine(_sandbox.Data, "train", "n99999999"));
        File.Copy(_sandbox.FirstImage("train", "n01440764"), Path.Combine(_sandbox.Data, "train", "n99999999", "stray.JPEG"));
        const string warning = "train/n99999999/: 'n99999999' is not an Imagenette class, 1 file(s) skipped.";
        string model = _models.Random("model");

        var validated = _sandbox.Run("validate", model);
        var evaluated = _sandbox.Run("evaluate", "--models", model, "--history", "", "--report-dir", _sandbox.Path_("report"));

        foreach (var result in new[] { validated, evaluated })
        {
            Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
            Assert.Contains("warning: " + warning, result.Stdout.ReplaceLineEndings(" ").Replace("  ", " "));
        }
        Assert.Contains(warning, File.ReadAllText(_sandbox.Path_("report/report.json")));
        Assert.Contains("- Data: " + warning, File.ReadAllText(_sandbox.Path_("report/report.md")));
    }

    [Fact]
    public void History_pin_moves_a_models_baseline_and_names_what_it_cannot_pin()
    {
        string history = _sandbox.Path_("history.db");
        string model = _models.Random("candidate");
        Assert.Equal(ExitCodes.Ok, _sandbox.Run("evaluate", "--models", model, "--history", history, "--report-dir", _sandbox.Path_("report")).ExitCode);

        var pinned = _sandbox.Run("history", "pin", "candidate", "--history", history);
        var unknown = _sandbox.Run("history", "pin", "other", "--history", history);
        var missing = _sandbox.Run("history", "pin", "candidate", "--history", _sandbox.Path_("nope.db"));

        Assert.True(pinned.ExitCode == ExitCodes.Ok, pinned.ToString());
        Assert.Contains("pinned candidate: record 1", pinned.Stdout);
        AssertUsageError(unknown, "no record of model 'other'");
        AssertUsageError(missing, "nope.db: no such evaluation history");
        Assert.False(File.Exists(_sandbox.Path_("nope.db")));
    }
}
