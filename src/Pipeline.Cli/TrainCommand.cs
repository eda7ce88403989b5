using System.CommandLine;
using Pipeline.Experiments;

namespace Pipeline.Cli;

public static class TrainCommand
{
    public static Command Create()
    {
        var runFile = new Argument<FileInfo?>("run-file")
        {
            Description = "A run file (JSON, see pipelines/runs/). Omit it to describe the run with options.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var name = new Option<string?>("--name") { Description = "Run name (its folder under --runs). Default: derived from the options." };
        var arch = ArchOption("The depth: resnet18, resnet34 or resnet50.");
        var flavour = new Option<ResNetFlavour>("--flavour") { Description = "torchvision or timm.", DefaultValueFactory = _ => ResNetFlavour.Torchvision };
        var zeroInit = new Option<bool?>("--zero-init-last") { Description = "Zero each block's last BatchNorm γ (default: the flavour's own: timm true, torchvision false)." };
        var head = new Option<HeadKind>("--head") { Description = "fastai (the reference experiment's) or library (avg pool + fc).", DefaultValueFactory = _ => HeadKind.Fastai };
        var recipe = new Option<string>("--recipe") { Description = $"Recipe preset: {string.Join(", ", Recipe.Presets.Keys)}.", DefaultValueFactory = _ => Recipe.FastaiReference.Name };
        var epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => 5 }.Within(1, 10_000);
        var size = new Option<int>("--image-size") { DefaultValueFactory = _ => 128 }.Within(32, 1024);
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 42 }.Within(0, int.MaxValue);
        var data = new DataOptions();
        var initWeights = new Option<FileInfo?>("--init-weights")
        {
            Description = "Start from a PyTorch state dict (.safetensors, or torch.save's .pth/.pt) with torchvision's or timm's names, e.g. torchvision's " +
                          "resnet18 weights, instead of the seeded init. The run records the file's SHA-256.",
        };
        var newHead = new Option<bool>("--new-head") { Description = "With --init-weights: re-initialise the classifier for this dataset's classes instead of loading the file's." };
        var trainPerClass = new Option<int?>("--train-per-class") { Description = "Use only the first N training images of each class." }.Within(1, 100_000);
        var valPerClass = new Option<int?>("--val-per-class") { Description = "Use only the first N val images of each class." }.Within(1, 100_000);
        var precision = new Option<Precision>("--precision")
        {
            Description = "auto (bf16 where the CPU has native bf16, else fp32), fp32 or bf16 (bf16 compute, fp32 master weights).",
            DefaultValueFactory = _ => Precision.Auto,
        };
        var runs = RunsOption();

        var command = new Command("train", "Train one ResNet run; resumes from its last checkpoint if interrupted.")
        {
            runFile, name, arch, flavour, zeroInit, head, recipe, epochs, size, seed, precision, trainPerClass, valPerClass, initWeights, newHead, runs,
        };
        foreach (var option in data.All)
            command.Options.Add(option);
        command.Validators.Add(result =>
        {
            if (result.GetValue(newHead) && result.GetValue(initWeights) is null)
                result.AddError("--new-head re-initialises the classifier of loaded weights: give --init-weights FILE too, or drop --new-head.");
        });
        command.SetAction((parse, cancellation) =>
        {
            RunSpec spec;
            if (parse.GetValue(runFile) is { } file)
            {
                spec = RunSpec.Load(file.FullName);
            }
            else
            {
                var f = parse.GetValue(flavour);
                var z = parse.GetValue(zeroInit);
                var model = ResNetConfig.Of(parse.GetValue(arch) ?? ResNetArch.ResNet18, f, z, parse.GetValue(head));
                spec = new RunSpec
                {
                    Name = parse.GetValue(name) ?? RunNames.For(null, model, parse.GetValue(seed)),
                    Arch = model.Arch,
                    Flavour = f,
                    ZeroInitLast = z,
                    Head = parse.GetValue(head),
                    RecipeName = parse.GetValue(recipe)!,
                    Epochs = parse.GetValue(epochs),
                    ImageSize = parse.GetValue(size),
                    Seed = parse.GetValue(seed),
                    Dataset = data.Folder(parse),
                    ValFraction = parse.GetValue(data.ValFraction),
                    SplitSeed = parse.GetValue(data.SplitSeed),
                    InitWeights = parse.GetValue(initWeights)?.FullName,
                    NewHead = parse.GetValue(newHead),
                    TrainPerClass = parse.GetValue(trainPerClass),
                    ValPerClass = parse.GetValue(valPerClass),
                    Precision = parse.GetValue(precision),
                };
            }
            string runsRoot = parse.GetValue(runs)!.FullName;
            using var claim = RunLock.Take(RunFolder.For(runsRoot, spec));
            TrainingConsole.Run(spec, runsRoot, cancellation);
            return Task.FromResult(ExitCodes.Ok);
        });
        return command;
    }

    /// <summary>--arch resnet18|resnet34|resnet50, unset unless given.</summary>
    public static Option<ResNetArch?> ArchOption(string description) => new("--arch") { Description = description };

    public static Option<DirectoryInfo> RunsOption() => new("--runs")
    {
        Description = "Folder that holds run folders.",
        DefaultValueFactory = _ => new DirectoryInfo("runs"),
    };
}
