using System.CommandLine;
using Pipeline.Experiments;

namespace Pipeline.Cli;

public static class TrainCommand
{
    public static Command Create()
    {
        var options = new TrainOptions();
        var command = options.Command();
        command.SetAction((parse, cancellation) =>
        {
            var spec = options.Spec(parse);
            string runsRoot = parse.GetValue(options.Runs)!.FullName;
            using var claim = RunLock.Take(RunFolder.For(runsRoot, spec));
            TrainingConsole.Run(spec, runsRoot, cancellation);
            return Task.FromResult(ExitCodes.Ok);
        });
        return command;
    }

    /// <summary>The run `pipeline train <paramref name="args"/>` trains (a run file, or one described by options), without training it.</summary>
    /// <exception cref="UsageException">The command line does not parse.</exception>
    internal static RunSpec SpecOf(params string[] args)
    {
        var options = new TrainOptions();
        var parse = options.Command().Parse(args);
        if (parse.Errors.Count > 0)
            throw new UsageException(string.Join(" ", parse.Errors.Select(e => e.Message)));
        return options.Spec(parse);
    }

    /// <summary>`pipeline train`'s options, and the one rule that turns them into a <see cref="RunSpec"/>.</summary>
    private sealed class TrainOptions
    {
        private readonly Argument<FileInfo?> _runFile = new("run-file")
        {
            Description = "A run file (JSON, see pipelines/runs/). Omit it to describe the run with options.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        private readonly Option<string?> _name = new("--name") { Description = "Run name (its folder under --runs). Default: derived from the options." };
        private readonly Option<ResNetArch?> _arch = ArchOption("The depth: resnet18, resnet34 or resnet50.");
        private readonly Option<ResNetFlavour> _flavour = new("--flavour") { Description = "torchvision or timm.", DefaultValueFactory = _ => ResNetFlavour.Torchvision };
        private readonly Option<bool?> _zeroInit = new("--zero-init-last") { Description = "Zero each block's last BatchNorm γ (default: the flavour's own: timm true, torchvision false)." };
        private readonly Option<HeadKind> _head = new("--head") { Description = "fastai (the reference experiment's) or library (avg pool + fc).", DefaultValueFactory = _ => HeadKind.Fastai };
        private readonly Option<string> _recipe = new("--recipe") { Description = $"Recipe preset: {string.Join(", ", Recipe.Presets.Keys)}.", DefaultValueFactory = _ => Recipe.FastaiReference.Name };
        private readonly Option<int> _epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => 5 }.Within(1, 10_000);
        private readonly Option<int> _size = new Option<int>("--image-size") { DefaultValueFactory = _ => 128 }.Within(32, 1024);
        private readonly Option<int> _seed = new Option<int>("--seed") { DefaultValueFactory = _ => 42 }.Within(0, int.MaxValue);
        private readonly DataOptions _data = new();
        private readonly Option<FileInfo?> _initWeights = new("--init-weights")
        {
            Description = "Start from a PyTorch state dict (.safetensors, or torch.save's .pth/.pt) with torchvision's or timm's names, e.g. torchvision's " +
                          "resnet18 weights, instead of the seeded init. The run records the file's SHA-256.",
        };
        private readonly Option<bool> _newHead = new("--new-head") { Description = "With --init-weights: re-initialise the classifier for this dataset's classes instead of loading the file's." };
        private readonly Option<int?> _trainPerClass = new Option<int?>("--train-per-class") { Description = "Use only the first N training images of each class." }.Within(1, 100_000);
        private readonly Option<int?> _valPerClass = new Option<int?>("--val-per-class") { Description = "Use only the first N val images of each class." }.Within(1, 100_000);
        private readonly Option<Precision> _precision = new("--precision")
        {
            Description = "auto (bf16 where the CPU has native bf16, else fp32), fp32 or bf16 (bf16 compute, fp32 master weights).",
            DefaultValueFactory = _ => Precision.Auto,
        };

        public Option<DirectoryInfo> Runs { get; } = RunsOption();

        public Command Command()
        {
            var command = new Command("train", "Train one ResNet run; resumes from its last checkpoint if interrupted.")
            {
                _runFile, _name, _arch, _flavour, _zeroInit, _head, _recipe, _epochs, _size, _seed, _precision, _trainPerClass, _valPerClass, _initWeights, _newHead, Runs,
            };
            foreach (var option in _data.All)
                command.Options.Add(option);
            command.Validators.Add(result =>
            {
                if (result.GetValue(_newHead) && result.GetValue(_initWeights) is null)
                    result.AddError("--new-head re-initialises the classifier of loaded weights: give --init-weights FILE too, or drop --new-head.");
            });
            return command;
        }

        /// <summary>The run file's spec, or the options' with the name derived from the model and seed (<see cref="RunNames.For"/>) when none is given.</summary>
        public RunSpec Spec(ParseResult parse)
        {
            if (parse.GetValue(_runFile) is { } file)
                return RunSpec.Load(file.FullName);
            var spec = new RunSpec
            {
                Name = parse.GetValue(_name) ?? "",
                Arch = parse.GetValue(_arch) ?? ResNetArch.ResNet18,
                Flavour = parse.GetValue(_flavour),
                ZeroInitLast = parse.GetValue(_zeroInit),
                Head = parse.GetValue(_head),
                RecipeName = parse.GetValue(_recipe)!,
                Epochs = parse.GetValue(_epochs),
                ImageSize = parse.GetValue(_size),
                Seed = parse.GetValue(_seed),
                Dataset = _data.Folder(parse),
                ValFraction = parse.GetValue(_data.ValFraction),
                SplitSeed = parse.GetValue(_data.SplitSeed),
                InitWeights = parse.GetValue(_initWeights)?.FullName,
                NewHead = parse.GetValue(_newHead),
                TrainPerClass = parse.GetValue(_trainPerClass),
                ValPerClass = parse.GetValue(_valPerClass),
                Precision = parse.GetValue(_precision),
            };
            return spec.Name.Length > 0 ? spec : spec with { Name = RunNames.For(null, spec.ModelConfig, spec.Seed) };
        }
    }

    /// <summary>--arch resnet18|resnet34|resnet50, unset unless given.</summary>
    public static Option<ResNetArch?> ArchOption(string description) => new("--arch") { Description = description };

    public static Option<DirectoryInfo> RunsOption() => new("--runs")
    {
        Description = "Folder that holds run folders.",
        DefaultValueFactory = _ => new DirectoryInfo("runs"),
    };
}
