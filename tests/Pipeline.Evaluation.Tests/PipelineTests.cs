using Pipeline.Evaluation.Tests.Fixtures;
using Pipeline.Experiments;
using Pipeline.Inference;

namespace Pipeline.Evaluation.Tests;

/// <summary>The ML.NET pipeline end to end: images → ONNX model → metrics.</summary>
public sealed class PipelineTests : IDisposable
{
    private readonly TestModels _models = new();
    private static readonly EvaluationOptions Cpu = new() { Device = ComputeDevice.Cpu };

    public void Dispose() => _models.Dispose();

    [Fact]
    public void Every_prediction_of_a_known_model_on_known_images_lands_where_expected()
    {
        // 10 colour classes, 2 images each, plus 2 images of class 3's colour labelled as class 5.
        var classes = Imagenette.Classes;
        var examples = new List<LabeledExample>();
        for (int k = 0; k < 10; k++)
        {
            for (int i = 0; i < 2; i++)
                examples.Add(new LabeledExample(ColourImages.Write(_models.Folder, $"c{k}-{i}", k), classes[k].Id));
        }
        for (int i = 0; i < 2; i++)
            examples.Add(new LabeledExample(ColourImages.Write(_models.Folder, $"mislabelled-{i}", 3), classes[5].Id));
        var set = EvaluationSet.Create("colours", Imagenette.Wnids, examples);
        string model = ColourImages.Model(_models.Folder, "nearest-colour", classes);

        var result = new ModelEvaluator(Cpu).Evaluate(new ModelToEvaluate(model), set);

        var cm = result.Metrics.ConfusionMatrix;
        for (int t = 0; t < 10; t++)
        {
            for (int p = 0; p < 10; p++)
            {
                long expected = t == p ? 2 : (t == 5 && p == 3 ? 2 : 0);
                Assert.True(expected == cm[t][p], $"confusion[{t}][{p}]: expected {expected}, got {cm[t][p]}");
            }
        }
        Assert.Equal(20.0 / 22, result.Metrics.Top1, 6);
        Assert.Equal(0.5, result.Metrics.PerClass[5].Recall, 6);
        Assert.Equal(2.0 / 4, result.Metrics.PerClass[3].Precision, 6);
        Assert.Equal(22, result.Metrics.Count);
        Assert.Equal("CPU", result.Device);
        Assert.True(result.ImagesPerSecond > 0 && result.WallSeconds >= result.ScoringSeconds);
    }

    [Fact]
    public void A_val_slice_is_scored_with_the_preprocessing_and_classes_of_the_model_metadata()
    {
        var set = Imagenette.ValSlice(perClass: 3);
        string model = _models.Random("tiny-random");

        var result = new ModelEvaluator(Cpu).Evaluate(new ModelToEvaluate(model), set);

        Assert.Equal(30, result.Metrics.Count);
        Assert.All(result.Metrics.PerClass, c => Assert.Equal(3, c.Support));
        Assert.Equal(Imagenette.Wnids, result.Metrics.PerClass.Select(c => c.Id));
        Assert.Equal(5, result.Metrics.TopK);
        Assert.InRange(result.Metrics.Top1, 0, 1);
        Assert.True(result.Metrics.Top5 >= result.Metrics.Top1);
        Assert.Contains("ResizeImages(72×72, IsoCrop", result.Preprocessing);
        Assert.Equal(InspectSha(model), result.ModelSha256);
        Assert.True(result.MetadataFromFile);
        Assert.Null(result.Agreement); // the metadata carries no trainer top-1
    }

    [Fact]
    public void A_model_without_metadata_is_evaluated_with_explicit_metadata()
    {
        var set = Imagenette.ValSlice(perClass: 1);
        string model = _models.Random("no-metadata", writeMetadata: false);

        var result = new ModelEvaluator(Cpu).Evaluate(new ModelToEvaluate(model, TestModels.Metadata(Imagenette.Classes)), set);

        Assert.False(result.MetadataFromFile);
        Assert.Equal(10, result.Metrics.Count);
    }

    [Fact]
    public void The_agreement_check_flags_a_gap_over_one_point_and_says_why()
    {
        var set = Imagenette.ValSlice(perClass: 2);
        var metadata = TestModels.Metadata(Imagenette.Classes, valTop1: 0.999);
        string model = _models.Random("claims-99", metadata: metadata);

        var result = new ModelEvaluator(Cpu).Evaluate(new ModelToEvaluate(model), set);

        var a = Assert.IsType<AgreementCheck>(result.Agreement);
        Assert.True(a.Flagged);
        Assert.Equal((result.Metrics.Top1 - 0.999) * 100, a.GapPp, 6);
        Assert.Contains("DrawBitmap(FilterQuality.High)", a.Note);
        Assert.Contains("20 images", a.Note);
        Assert.Contains("72×72", a.Note);
        Assert.Contains("crops 64 at 4", a.Note);
    }

    [Fact]
    public void The_agreement_check_passes_a_gap_within_tolerance()
    {
        var check = AgreementCheck.Create(TestModels.Metadata(Imagenette.Classes, valTop1: 0.705), 0.712, Imagenette.ValSlice(1), tolerancePp: 1.0);
        Assert.NotNull(check);
        Assert.False(check.Flagged);
        Assert.Equal(0.7, check.GapPp, 6);
    }

    [Fact]
    public void Many_models_are_scored_in_one_run_in_name_order()
    {
        var set = Imagenette.ValSlice(perClass: 1);
        _models.Random("b-model", seed: 2);
        _models.Random("a-model", seed: 3);

        var run = new ModelEvaluator(Cpu).EvaluateAll(ModelToEvaluate.Find(_models.Folder), set);

        Assert.Equal(["a-model", "b-model"], run.Models.Select(m => m.ModelName));
        Assert.Equal(set.ExamplesFingerprint, run.ExamplesFingerprint);
        Assert.Equal(10, run.Examples);
    }

    [Fact]
    public void The_examples_fingerprint_ignores_where_the_dataset_is_but_not_which_images()
    {
        LabeledExample[] a = [new("/x/val/n1/a.JPEG", "n1"), new("/x/val/n2/b.JPEG", "n2")];
        LabeledExample[] moved = [new("/elsewhere/val/n1/a.JPEG", "n1"), new("/elsewhere/val/n2/b.JPEG", "n2")];
        LabeledExample[] relabelled = [new("/x/val/n1/a.JPEG", "n2"), new("/x/val/n2/b.JPEG", "n2")];
        string[] ids = ["n1", "n2"];
        Assert.Equal(EvaluationSet.Create("a", ids, a).ExamplesFingerprint, EvaluationSet.Create("b", ids, moved).ExamplesFingerprint);
        Assert.NotEqual(EvaluationSet.Create("a", ids, a).ExamplesFingerprint, EvaluationSet.Create("a", ids, relabelled).ExamplesFingerprint);
    }

    private static string InspectSha(string path) => OnnxModelInspector.Sha256Of(path);
}
