using Pipeline.Models;
using Pipeline.Training;

namespace Pipeline.Training.Tests;

public class RunSpecTests
{
    [Fact]
    public void Zero_init_defaults_follow_each_library()
    {
        Assert.False(new RunSpec { Name = "a", Flavour = ResNetFlavour.Torchvision }.EffectiveZeroInitLast);
        Assert.True(new RunSpec { Name = "a", Flavour = ResNetFlavour.Timm }.EffectiveZeroInitLast);
        Assert.True(new RunSpec { Name = "a", Flavour = ResNetFlavour.Torchvision, ZeroInitLast = true }.EffectiveZeroInitLast);
    }

    [Fact]
    public void Default_recipe_is_the_reference_experiment()
    {
        var spec = new RunSpec { Name = "a" };
        Assert.Same(Recipe.FastaiReference, spec.Recipe);
        Assert.Equal(HeadKind.Fastai, spec.Head);
        Assert.Equal(5, spec.Epochs);
        Assert.Equal(144, spec.ResizeSide); // 128 × 1.125
    }

    [Fact]
    public void Run_file_round_trips_through_json()
    {
        var spec = new RunSpec { Name = "rt", Flavour = ResNetFlavour.Timm, ZeroInitLast = false, Epochs = 3, Seed = 7 };
        string path = Path.Combine(Path.GetTempPath(), $"runspec-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, spec.ToJson());
        var back = RunSpec.Load(path);
        Assert.Equal(spec.ToJson(), back.ToJson());
        File.Delete(path);
    }

    [Fact]
    public void Bad_run_file_errors_name_the_file_and_the_field()
    {
        string path = Path.Combine(Path.GetTempPath(), $"runspec-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{ "name": "x", "epochs": 0, "recipeName": "nope" }""");
        var e = Assert.Throws<RunSpecException>(() => RunSpec.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("epochs", e.Message);
        Assert.Contains("nope", e.Message);
        File.WriteAllText(path, "{ not json");
        Assert.Contains(path, Assert.Throws<RunSpecException>(() => RunSpec.Load(path)).Message);
        File.Delete(path);
        Assert.Contains("no such run file", Assert.Throws<RunSpecException>(() => RunSpec.Load(path)).Message);
    }
}
