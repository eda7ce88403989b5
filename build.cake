// Thin orchestration over `dotnet` and the `pipeline` tool (src/Pipeline.Cli): the logic lives in the tool.
// Run with: dotnet tool restore && dotnet cake --target=<Target> [--argument=value ...]
// `dotnet cake --description` lists the targets with what each does (their .Description below).
// Common arguments: --data=DIR (dataset folder) [--val-fraction=F --split-seed=S], --device=auto|cpu|gpu (evaluation),
// --configuration=Release.

var target = Argument("target", "Default");
var configuration = Argument("configuration", "Release");
var data = Argument("data", "");
var device = Argument("device", "auto");

var solution = "./Pipeline.sln";
var cli = "./src/Pipeline.Cli/Pipeline.Cli.csproj";

// The tool's exit code when it failed: Cake ends every failed run with 1, and a scheduler must tell a regression (3)
// and a mistake in the input (2) from a crash (1), so the script exits with the tool's own code (bottom of the file).
int? toolExit = null;

// A dataset of class folders without train/ and val/ is split by a stated fraction, the same way by every command.
var valFraction = Argument("val-fraction", "");
var splitSeed = Argument("split-seed", "0");

// Runs the `pipeline` tool from its build output (built by the Build target); fails the target on a non-zero exit.
void Pipeline(string arguments, bool withData = true)
{
    var extra = withData && !string.IsNullOrEmpty(data) ? $" --data \"{data}\"" : "";
    extra += withData && !string.IsNullOrEmpty(valFraction) ? $" --val-fraction {valFraction} --split-seed {splitSeed}" : "";
    var exit = StartProcess("dotnet", new ProcessSettings
    {
        Arguments = $"run --project {cli} -c {configuration} --no-build -- {arguments}{extra}",
    });
    if (exit != 0)
    {
        toolExit = exit;
        throw new CakeException(exit, $"pipeline {arguments} failed with exit code {exit}.");
    }
}

Task("Build")
    .Description("Build the solution.")
    .Does(() => DotNetBuild(solution, new DotNetBuildSettings { Configuration = configuration }));

Task("Test")
    .Description("Build and run every test project (the CI command).")
    .IsDependentOn("Build")
    .Does(() => DotNetTest(solution, new DotNetTestSettings
    {
        Configuration = configuration,
        NoBuild = true,
        Loggers = { "console;verbosity=normal" },
    }));

Task("Ci")
    .Description("What CI runs: the tests.")
    .IsDependentOn("Test");

Task("Run")
    .Description("Run any pipeline: --pipeline=pipelines/<file>.json.")
    .IsDependentOn("Build")
    .Does(() => Pipeline($"run \"{Argument("pipeline", "pipelines/smoke.json")}\" --device {device}"));

Task("Quick")
    .Description("The main job: the question answered in minutes (pipelines/quick.json).")
    .IsDependentOn("Build")
    .Does(() => Pipeline($"run pipelines/quick.json --device {device}"));

Task("Smoke")
    .Description("A plumbing check on a slice (pipelines/smoke.json); its numbers mean nothing.")
    .IsDependentOn("Build")
    .Does(() => Pipeline($"run pipelines/smoke.json --device {device}"));

Task("Reproduce")
    .Description("The reference experiment (pipelines/reference.json), end to end.")
    .IsDependentOn("Build")
    .Does(() => Pipeline($"run pipelines/reference.json --device {device}"));

Task("Results")
    .Description("Regenerate docs/results/ and the README's answer map from the published run records of every experiment in pipelines/ that publishes them.")
    .IsDependentOn("Build")
    .Does(() => Pipeline("results --readme README.md", withData: false));

Task("Data")
    .Description("Verify the dataset and build the decoded caches (--data=DIR).")
    .IsDependentOn("Build")
    .Does(() =>
    {
        Pipeline("data verify");
        Pipeline($"data cache --short-side {Argument("short-side", 144)}");
    });

Task("DownloadData")
    .Description("Download an official Imagenette archive: --dest=DIR [--archive=imagenette2-320].")
    .IsDependentOn("Build")
    .Does(() => Pipeline($"data download --archive {Argument("archive", "imagenette2-320")} --dest \"{Argument<string>("dest")}\"", withData: false));

Task("Train")
    .Description("Train one run: --run=pipelines/runs/<file>.json.")
    .IsDependentOn("Build")
    .Does(() => Pipeline($"train \"{Argument<string>("run")}\""));

Task("Export")
    .Description("Export a finished run to ONNX: --run-name=NAME.")
    .IsDependentOn("Build")
    .Does(() => Pipeline($"export \"{Argument<string>("run-name")}\"", withData: false));

Task("Validate")
    .Description("Score an ONNX model with ONNX Runtime: --model=models/x.onnx.")
    .IsDependentOn("Build")
    .Does(() => Pipeline($"validate \"{Argument<string>("model")}\""));

Task("Evaluate")
    .Description("ML.NET evaluation of models/ (or --plan=FILE): report and history.")
    .IsDependentOn("Build")
    .Does(() =>
    {
        var plan = Argument("plan", "");
        Pipeline($"evaluate {(plan == "" ? "--models models" : $"--plan \"{plan}\"")} --device {device}");
    });

Task("Report")
    .Description("Render a report again from its report.json, no scoring: --report=DIR [--output=DIR].")
    .IsDependentOn("Build")
    .Does(() =>
    {
        var output = Argument("output", "");
        Pipeline($"report \"{Argument("report", "reports/reference")}\"" + (output == "" ? "" : $" --output \"{output}\""), withData: false);
    });

Task("ScheduledEvaluation")
    .Description("The scheduled plan (pipelines/evaluation.json); exits 3 on a regression [--models=DIR] [--history=PATH].")
    .IsDependentOn("Build")
    .Does(() =>
    {
        var history = Argument("history", "");
        var models = Argument("models", "");
        Pipeline($"evaluate --plan \"{Argument("plan", "pipelines/evaluation.json")}\" --device {device}" +
                 (models == "" ? "" : $" --models \"{models}\"") +
                 (history == "" ? "" : $" --history \"{history}\"") +
                 $" --fail-on-regression {Argument("fail-on-regression", "true")}");
    });

Task("History")
    .Description("The evaluation history: each model's records and trend [--history=PATH] [--csv=FILE].")
    .IsDependentOn("Build")
    .Does(() =>
    {
        var csv = Argument("csv", "");
        Pipeline($"history --history \"{Argument("history", "reports/evaluation-history.db")}\"" + (csv == "" ? "" : $" --csv \"{csv}\""), withData: false);
    });

Task("Bench")
    .Description("Training, loader, inference and evaluation speed (reports/bench.json).")
    .IsDependentOn("Build")
    .Does(() => Pipeline("bench --output reports/bench.json"));

// Every package a consumer may need: the library, and the two packages that add ONNX Runtime's CPU or CUDA build to it.
Task("Pack")
    .Description("The inference NuGet packages (library, .Cpu, .Gpu) into artifacts/packages.")
    .Does(() =>
    {
        foreach (var project in new[] { "Pipeline.Inference", "Pipeline.Inference.Cpu", "Pipeline.Inference.Gpu" })
        {
            DotNetPack($"./src/{project}/{project}.csproj", new DotNetPackSettings
            {
                Configuration = configuration,
                OutputDirectory = "./artifacts/packages",
            });
        }
    });

// docs/your-own-data.md: the road for a folder of your own photos, each step one command of the tool.
Task("OwnData")
    .Description("Your own photos end to end: --data=DIR [--val-fraction=0.2] [--name=NAME] [--arch=resnet18] [--epochs=5] [--image-size=128] " +
                 "[--init-weights=FILE [--new-head=true]]: verify, train, export ONNX and a PyTorch state dict, validate, evaluate with ML.NET.")
    .IsDependentOn("Build")
    .Does(() =>
    {
        if (string.IsNullOrEmpty(data))
            throw new CakeException(2, "OwnData needs --data=DIR: a folder with train/<class>/ and val/<class>/, or class folders and --val-fraction=F.");
        var name = Argument("name", System.IO.Path.GetFileName(System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(data))));
        var initWeights = Argument("init-weights", "");
        var weights = initWeights == "" ? "" : $" --init-weights \"{initWeights}\"" + (Argument("new-head", false) ? " --new-head" : "");
        Pipeline("data verify");
        Pipeline($"train --name \"{name}\" --arch {Argument("arch", "resnet18")} --epochs {Argument("epochs", 5)} --image-size {Argument("image-size", 128)}{weights}");
        Pipeline($"export \"{name}\" -o \"models/{name}/{name}.onnx\"", withData: false);
        Pipeline($"export \"{name}\" --state-dict -o \"models/{name}/{name}.safetensors\"", withData: false);
        Pipeline($"validate \"models/{name}/{name}.onnx\"");
        Pipeline($"evaluate --models \"models/{name}\" --report-dir \"reports/{name}\" --history \"reports/{name}-history.db\" --device {device}");
    });

Task("Default")
    .Description("The main job (Quick).")
    .IsDependentOn("Quick");

try
{
    RunTarget(target);
}
catch when (toolExit is int code)
{
    System.Environment.Exit(code);
}
