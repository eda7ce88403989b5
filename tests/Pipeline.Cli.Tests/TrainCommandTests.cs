using Pipeline.Experiments;

namespace Pipeline.Cli.Tests;

/// <summary>The run `pipeline train` describes: from its options (the name derived when none is given) or from a run file.</summary>
public sealed class TrainCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("train-command-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Options_describe_the_run_and_name_it_after_the_model_and_seed()
    {
        var spec = TrainCommand.SpecOf("train", "--arch", "resnet50", "--flavour", "Timm", "--epochs", "3", "--seed", "7", "--recipe", "sgd", "--image-size", "64");

        Assert.Equal("resnet50-timm-zi1-fastai-s7", spec.Name); // timm's default flag, applied once, in ResNetConfig.Of
        Assert.Equal((ResNetArch.ResNet50, ResNetFlavour.Timm, 3, 7, "sgd", 64), (spec.Arch, spec.Flavour, spec.Epochs, spec.Seed, spec.RecipeName, spec.ImageSize));
        Assert.Null(spec.ZeroInitLast);
        Assert.True(spec.EffectiveZeroInitLast);
    }

    [Fact]
    public void A_flag_or_a_name_given_wins_over_the_defaults()
    {
        var spec = TrainCommand.SpecOf("train", "--flavour", "Timm", "--zero-init-last", "false", "--name", "mine");

        Assert.Equal("mine", spec.Name);
        Assert.False(spec.EffectiveZeroInitLast);
        Assert.Equal(ResNetArch.ResNet18, spec.Arch);
        Assert.Equal("torchvision-zi0-fastai-s42", TrainCommand.SpecOf("train").Name);
    }

    [Fact]
    public void A_run_file_is_the_run_whatever_the_options_say()
    {
        string file = Path.Combine(_dir, "run.json");
        File.WriteAllText(file, """{ "name": "from-file", "arch": "resnet34", "epochs": 2, "imageSize": 64 }""");

        var spec = TrainCommand.SpecOf("train", file, "--epochs", "9");

        Assert.Equal(("from-file", ResNetArch.ResNet34, 2), (spec.Name, spec.Arch, spec.Epochs));
        Assert.Contains("must be at least 1", Assert.Throws<UsageException>(() => TrainCommand.SpecOf("train", "--epochs=0")).Message);
    }
}
