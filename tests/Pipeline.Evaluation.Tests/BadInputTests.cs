using Pipeline.Evaluation.Tests.Fixtures;
using Pipeline.Inference;

namespace Pipeline.Evaluation.Tests;

/// <summary>Every unusable input ends in one <see cref="EvaluationException"/> that names the file and says what to do.</summary>
public sealed class BadInputTests : IDisposable
{
    private readonly TestModels _models = new();
    private readonly ModelEvaluator _evaluator = new(new EvaluationOptions { Device = ComputeDevice.Cpu });

    public void Dispose() => _models.Dispose();

    private EvaluationException Fails(string model, EvaluationSet? set = null) =>
        Assert.Throws<EvaluationException>(() => _evaluator.Evaluate(new ModelToEvaluate(model), set ?? Imagenette.ValSlice(1)));

    [Fact]
    public void A_truncated_model_is_named_and_called_truncated()
    {
        string good = _models.Random("good");
        string truncated = _models.Path_("truncated.onnx");
        File.WriteAllBytes(truncated, File.ReadAllBytes(good).Take(100).ToArray());

        var ex = Fails(truncated);

        Assert.Equal(truncated, ex.FilePath);
        Assert.Contains("truncated or is not ONNX", ex.Message);
        Assert.StartsWith(truncated, ex.Message);
    }

    [Fact]
    public void A_text_file_named_onnx_is_named_and_rejected()
    {
        string text = _models.Path_("notes.onnx");
        File.WriteAllText(text, "these are not the weights you are looking for\n");

        var ex = Fails(text);

        Assert.Equal(text, ex.FilePath);
        Assert.Contains("not a readable ONNX model", ex.Message);
    }

    [Fact]
    public void A_missing_model_file_is_named()
    {
        string missing = _models.Path_("missing.onnx");
        Assert.Equal(missing, Fails(missing).FilePath);
    }

    [Fact]
    public void A_model_without_metadata_asks_for_a_re_export_or_explicit_metadata()
    {
        string model = _models.Random("bare", writeMetadata: false);

        var ex = Fails(model);

        Assert.Equal(model, ex.FilePath);
        Assert.Contains("pipeline.classes", ex.Message);
        Assert.Contains("ModelToEvaluate.Metadata", ex.Message);
    }

    [Fact]
    public void A_graph_input_that_disagrees_with_the_metadata_is_named_with_both_shapes()
    {
        // Graph takes 64×64, metadata says the pipeline should feed 72×72.
        string model = _models.Random("wrong-shape", inputDims: [null, 3, 64, 64]);

        var ex = Fails(model);

        Assert.Equal(model, ex.FilePath);
        Assert.Contains("Single[?,3,64,64]", ex.Message);
        Assert.Contains("float[batch,3,72,72]", ex.Message);
    }

    [Theory]
    [InlineData("pipeline.mean", "abc", "is not a comma-separated list of numbers")]
    [InlineData("pipeline.std", "0.2,0.2,NaN", "is not a comma-separated list of numbers")]
    [InlineData("pipeline.input_width", "seventy-two", "is not an integer")]
    [InlineData("pipeline.val_top1", "1.5", "is not a fraction between 0 and 1")]
    [InlineData("pipeline.classes", "[[]]", "is not an [id, name] pair of strings")]
    [InlineData("pipeline.classes", "[null]", "is not an [id, name] pair of strings")]
    [InlineData("pipeline.classes", "[[\"n01440764\", null]]", "is not an [id, name] pair of strings")]
    [InlineData("pipeline.classes", "{\"n01440764\": 1}", "is not a JSON list of [id, name] pairs")]
    public void A_malformed_metadata_value_is_named_with_its_key(string key, string value, string problem)
    {
        var properties = new Dictionary<string, string>(TestModels.Metadata(Imagenette.Classes).ToProperties()) { [key] = value };
        string model = _models.Path_("malformed.onnx");
        TinyOnnx.Write(model, 10, new float[30], new float[10], properties, [null, 3, 72, 72]);

        var ex = Fails(model);

        Assert.Equal(model, ex.FilePath);
        Assert.Contains($"'{key}'", ex.Message);
        Assert.Contains(problem, ex.Message);
    }

    [Fact]
    public void Every_unusable_model_of_a_run_is_named_before_any_model_is_scored()
    {
        string good = _models.Random("a-good");
        string text = _models.Path_("b-text.onnx");
        File.WriteAllText(text, "not a model");
        var badMetadata = new Dictionary<string, string>(TestModels.Metadata(Imagenette.Classes).ToProperties()) { ["pipeline.mean"] = "abc" };
        string malformed = _models.Path_("c-malformed.onnx");
        TinyOnnx.Write(malformed, 10, new float[30], new float[10], badMetadata, [null, 3, 72, 72]);
        var scored = new List<string>();

        var ex = Assert.Throws<EvaluationException>(() => _evaluator.EvaluateAll(
            [new ModelToEvaluate(good), new ModelToEvaluate(text), new ModelToEvaluate(malformed)], Imagenette.ValSlice(1), m => scored.Add(m.ModelName)));

        Assert.Empty(scored); // the good model was not scored only for its result to be lost
        Assert.StartsWith("2 of 3 model(s) cannot be evaluated", ex.Message);
        Assert.Contains($"{text}: not a readable ONNX model", ex.Message);
        Assert.Contains($"{malformed}: ONNX metadata 'pipeline.mean'", ex.Message);
        Assert.Equal(text, ex.FilePath);
    }

    [Fact]
    public void A_model_with_another_class_count_than_the_dataset_is_named()
    {
        var five = Imagenette.Classes.Take(5).ToArray();
        string model = _models.Random("five-classes", classes: five, metadata: TestModels.Metadata(five));

        var ex = Fails(model);

        Assert.Equal(model, ex.FilePath);
        // Both lists named, and what only one of them has.
        Assert.Contains($"the model has 5 classes ({string.Join(", ", five.Select(c => c.Id))}) but the dataset", ex.Message);
        Assert.Contains($"has 10 ({string.Join(", ", Imagenette.Wnids)})", ex.Message);
        Assert.Contains($"only the dataset has {string.Join(", ", Imagenette.Wnids.Skip(5))}", ex.Message);
    }

    [Fact]
    public void A_label_missing_from_the_model_class_list_names_the_image_and_the_model()
    {
        var set = Imagenette.ValSlice(1);
        var stray = set.Examples[4] with { ClassId = "n99999999" };
        set = set with { Examples = set.Examples.Select((e, i) => i == 4 ? stray : e).ToArray() };
        string model = _models.Random("ok");

        var ex = Fails(model, set);

        Assert.Equal(stray.ImagePath, ex.FilePath);
        Assert.Contains("'n99999999' is not in the class list of model", ex.Message);
        Assert.Contains(model, ex.Message);
    }

    [Theory]
    [InlineData("empty", "the file is empty")]
    [InlineData("garbage", "SkiaSharp cannot decode")]
    [InlineData("cut", "SkiaSharp cannot decode")]
    [InlineData("missing", "does not exist")]
    public void An_unreadable_image_is_named(string kind, string problem)
    {
        // A temporary copy of a few val images, one of them broken.
        var slice = Imagenette.ValSlice(1);
        var copies = slice.Examples.Select((e, i) =>
        {
            string copy = Path.Combine(_models.Folder, $"{i}-{Path.GetFileName(e.ImagePath)}");
            File.Copy(e.ImagePath, copy);
            return e with { ImagePath = copy };
        }).ToArray();
        string broken = copies[6].ImagePath;
        switch (kind)
        {
            case "empty": File.WriteAllBytes(broken, []); break;
            case "garbage": File.WriteAllBytes(broken, Enumerable.Range(0, 5000).Select(i => (byte)(i * 7919)).ToArray()); break;
            case "cut": File.WriteAllBytes(broken, File.ReadAllBytes(broken).Take(300).ToArray()); break;
            case "missing": File.Delete(broken); break;
        }
        var set = slice with { Examples = copies };

        var ex = Fails(_models.Random("ok"), set);

        Assert.Equal(broken, ex.FilePath);
        Assert.Contains(problem, ex.Message);
        Assert.Contains("nothing was recorded", ex.Message);
    }

    [Fact]
    public void A_folder_without_models_is_named()
    {
        var ex = Assert.Throws<EvaluationException>(() => ModelToEvaluate.Find(_models.Folder));
        Assert.Equal(_models.Folder, ex.FilePath);
        Assert.Contains("no *.onnx", ex.Message);
    }
}
