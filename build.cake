// Thin orchestration over `dotnet` and the `pipeline` tool (src/Pipeline.Cli): the logic lives in the tool.
// Run with: dotnet tool restore && dotnet cake --target=<Target> [--argument=value ...]
//
//   Default / Quick      the main job: the question answered in minutes (pipelines/quick.json), prints the answer and the report path
//   Smoke                a plumbing check on a slice (pipelines/smoke.json): tests and CI, numbers mean nothing
//   Test / Ci            build and run every test project
//   Reproduce            the reference experiment (pipelines/reference.json), end to end
//   Run                  any pipeline: --pipeline=pipelines/<file>.json
//   Results              regenerate docs/results/ from the seeded experiments' published run records
//   Data                 verify the dataset and build the decoded caches (--data=DIR)
//   DownloadData         download an official archive: --dest=DIR [--archive=imagenette2-320]
//   Train                one run: --run=pipelines/runs/<file>.json
//   Export               a finished run to ONNX: --run-name=NAME
//   Validate             an ONNX model with ONNX Runtime: --model=models/x.onnx
//   Evaluate             ML.NET evaluation of models/ (or --plan=FILE), report + history
//   Report               render a report again from its report.json, no scoring: --report=DIR [--output=DIR]
//   ScheduledEvaluation  the scheduled plan (pipelines/evaluation.json): --history=PATH --fail-on-regression=true
//   Bench                training / loader / evaluation speed (writes reports/bench.json)
//   Pack                 the inference packages: artifacts/packages/ZeroInitLab.Imagenette.Inference{,.Cpu,.Gpu}.<version>.nupkg
//
// Common arguments: --data=DIR (dataset folder), --device=auto|cpu|gpu (evaluation), --configuration=Release.

var target = Argument("target", "Default");
var configuration = Argument("configuration", "Release");
var data = Argument("data", "");
var device = Argument("device", "auto");

var solution = "./Pipeline.sln";
var cli = "./src/Pipeline.Cli/Pipeline.Cli.csproj";

// Runs the `pipeline` tool from its build output (built by the Build target); fails the target on a non-zero exit.
void Pipeline(string arguments, bool withData = true)
{
    var extra = withData && !string.IsNullOrEmpty(data) ? $" --data \"{data}\"" : "";
    var exit = StartProcess("dotnet", new ProcessSettings
    {
        Arguments = $"run --project {cli} -c {configuration} --no-build -- {arguments}{extra}",
    });
    if (exit != 0)
        throw new CakeException(exit, $"pipeline {arguments} failed with exit code {exit}.");
}

Task("Build")
    .Does(() => DotNetBuild(solution, new DotNetBuildSettings { Configuration = configuration }));

Task("Test")
    .IsDependentOn("Build")
    .Does(() => DotNetTest(solution, new DotNetTestSettings
    {
        Configuration = configuration,
        NoBuild = true,
        Loggers = { "console;verbosity=normal" },
    }));

Task("Ci")
    .IsDependentOn("Test");

Task("Run")
    .IsDependentOn("Build")
    .Does(() => Pipeline($"run \"{Argument("pipeline", "pipelines/smoke.json")}\" --device {device}"));

Task("Quick")
    .IsDependentOn("Build")
    .Does(() => Pipeline($"run pipelines/quick.json --device {device}"));

Task("Smoke")
    .IsDependentOn("Build")
    .Does(() => Pipeline($"run pipelines/smoke.json --device {device}"));

Task("Reproduce")
    .IsDependentOn("Build")
    .Does(() => Pipeline($"run pipelines/reference.json --device {device}"));

Task("Results")
    .IsDependentOn("Build")
    .Does(() => Pipeline("results pipelines/zero-init-seeds.json pipelines/zero-init-long-run.json", withData: false));

Task("Data")
    .IsDependentOn("Build")
    .Does(() =>
    {
        Pipeline("data verify");
        Pipeline($"data cache --short-side {Argument("short-side", 144)}");
    });

Task("DownloadData")
    .IsDependentOn("Build")
    .Does(() => Pipeline($"data download --archive {Argument("archive", "imagenette2-320")} --dest \"{Argument<string>("dest")}\"", withData: false));

Task("Train")
    .IsDependentOn("Build")
    .Does(() => Pipeline($"train \"{Argument<string>("run")}\""));

Task("Export")
    .IsDependentOn("Build")
    .Does(() => Pipeline($"export \"{Argument<string>("run-name")}\"", withData: false));

Task("Validate")
    .IsDependentOn("Build")
    .Does(() => Pipeline($"validate \"{Argument<string>("model")}\""));

Task("Evaluate")
    .IsDependentOn("Build")
    .Does(() =>
    {
        var plan = Argument("plan", "");
        Pipeline($"evaluate {(plan == "" ? "--models models" : $"--plan \"{plan}\"")} --device {device}");
    });

Task("Report")
    .IsDependentOn("Build")
    .Does(() =>
    {
        var output = Argument("output", "");
        Pipeline($"report \"{Argument("report", "reports/reference")}\"" + (output == "" ? "" : $" --output \"{output}\""), withData: false);
    });

Task("ScheduledEvaluation")
    .IsDependentOn("Build")
    .Does(() =>
    {
        var history = Argument("history", "");
        Pipeline($"evaluate --plan \"{Argument("plan", "pipelines/evaluation.json")}\" --device {device}" +
                 (history == "" ? "" : $" --history \"{history}\"") +
                 $" --fail-on-regression {Argument("fail-on-regression", "true")}");
    });

Task("Bench")
    .IsDependentOn("Build")
    .Does(() => Pipeline("bench --output reports/bench.json"));

// Every package a consumer may need: the library, and the two packages that add ONNX Runtime's CPU or CUDA build to it.
Task("Pack")
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

Task("Default")
    .IsDependentOn("Quick");

RunTarget(target);
