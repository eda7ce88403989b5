// Thin orchestration over `dotnet` and the `pipeline` tool: the logic lives in the tool.
// Run with: dotnet tool restore && dotnet cake --target=<Target>

var target = Argument("target", "Default");
var configuration = Argument("configuration", "Release");
var pipelineFile = Argument("pipeline", "pipelines/smoke.json");
var data = Argument("data", "");
var device = Argument("device", "auto");

var solution = "./Pipeline.sln";
var cli = "./src/Pipeline.Cli/Pipeline.Cli.csproj";

// Runs the `pipeline` tool from its build output (built once by the Build target).
void Pipeline(string arguments)
{
    var extra = string.IsNullOrEmpty(data) ? "" : $" --data \"{data}\"";
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

Task("Train")
    .IsDependentOn("Build")
    .Does(() => Pipeline($"train {Argument("run", "")}"));

Task("Default")
    .IsDependentOn("Test");

RunTarget(target);
