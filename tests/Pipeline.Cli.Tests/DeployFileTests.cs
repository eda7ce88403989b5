using System.Text.RegularExpressions;
using Pipeline.Experiments;
using YamlDotNet.RepresentationModel;

namespace Pipeline.Cli.Tests;

/// <summary>
/// The ready-made sweep definitions under deploy/ are valid YAML (or shell), and every `pipeline` command line they run
/// parses with the tool's own parser, with counts that match the plan. (The Dockerfile's build needs a Docker engine,
/// which this project's machines lack: it is not built here.)
/// </summary>
public partial class DeployFileTests
{
    private static string Deploy(string relative) => Path.Combine(PipelineProcess.Repository, "deploy", relative);

    /// <summary>A command up to where the shell takes over: a pipe, a redirection, a command substitution's end, &amp;&amp; or the line's end.</summary>
    [GeneratedRegex(@"dotnet\s+\S*pipeline\.dll\s+([^&|;>)\n]+)")]
    private static partial Regex PipelineCommand();

    /// <summary>Each `dotnet …pipeline.dll …` command in <paramref name="text"/>, with the engine's variables replaced by sample values.</summary>
    private static IReadOnlyList<string[]> Commands(string text, IReadOnlyDictionary<string, string> variables)
    {
        foreach (var (name, value) in variables)
            text = text.Replace(name, value, StringComparison.Ordinal);
        return PipelineCommand().Matches(text)
            .Select(m => m.Groups[1].Value.Replace("\"", "", StringComparison.Ordinal).Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToArray();
    }

    private static void AssertParses(string[] args, string source)
    {
        var result = CliRoot.Create().Parse(args);
        Assert.True(result.Errors.Count == 0, $"{source}: `pipeline {string.Join(' ', args)}`: {string.Join("; ", result.Errors.Select(e => e.Message))}");
    }

    private static YamlMappingNode Yaml(string path)
    {
        var stream = new YamlStream();
        using var reader = new StringReader(File.ReadAllText(path));
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents.Single().RootNode;
    }

    private static int PlannedRuns(string pipeline) => ExperimentPipeline.Load(Path.Combine(PipelineProcess.Repository, pipeline)).Runs().Count();

    [Fact]
    public void The_scheduled_github_workflow_is_valid_yaml_and_keeps_its_history_outside_the_checkout()
    {
        var workflow = Yaml(Deploy("scheduled/github-workflow.yml"));
        Assert.Equal(["evaluate"], ((YamlMappingNode)workflow["jobs"]).Children.Keys.Select(k => ((YamlScalarNode)k).Value));
        string text = File.ReadAllText(Deploy("scheduled/github-workflow.yml"));
        Assert.Contains("gh release download", text);
        Assert.Contains("name: evaluation-history", text);
        Assert.Contains("--models=\"$MODELS\"", text);
    }

    [Theory]
    [InlineData("kubernetes/sweep-job.yaml")]
    [InlineData("kubernetes/collect-job.yaml")]
    public void Kubernetes_jobs_are_valid_and_run_commands_the_tool_parses(string file)
    {
        var job = Yaml(Deploy(file));
        Assert.Equal("Job", ((YamlScalarNode)job["kind"]).Value);
        var commands = Commands(File.ReadAllText(Deploy(file)), new Dictionary<string, string> { ["$(JOB_COMPLETION_INDEX)"] = "3" });
        Assert.NotEmpty(commands);
        foreach (var args in commands)
            AssertParses(args, file);
    }

    [Fact]
    public void The_indexed_job_has_one_completion_per_planned_run_and_shards_by_the_same_count()
    {
        var spec = (YamlMappingNode)Yaml(Deploy("kubernetes/sweep-job.yaml"))["spec"];
        Assert.Equal("Indexed", ((YamlScalarNode)spec["completionMode"]).Value);
        int completions = int.Parse(((YamlScalarNode)spec["completions"]).Value!);
        var args = Commands(File.ReadAllText(Deploy("kubernetes/sweep-job.yaml")), new Dictionary<string, string> { ["$(JOB_COMPLETION_INDEX)"] = "0" }).Single();
        Assert.Equal(PlannedRuns(args[1]), completions);
        Assert.Equal($"0/{completions}", args[Array.IndexOf(args, "--shard") + 1]);
    }

    [Fact]
    public void The_github_workflow_takes_its_matrix_from_the_plan_and_runs_commands_the_tool_parses()
    {
        var workflow = Yaml(Deploy("github/sweep.yml"));
        var jobs = (YamlMappingNode)workflow["jobs"];
        Assert.Equal(["plan", "train", "collect"], jobs.Children.Keys.Select(k => ((YamlScalarNode)k).Value));
        string text = File.ReadAllText(Deploy("github/sweep.yml"));
        Assert.Contains("fromJson(needs.plan.outputs.matrix)", text);
        // The matrix fields the workflow reads are fields of `plan --json` entries.
        foreach (Match m in Regex.Matches(text, @"matrix\.(\w+)"))
            Assert.Contains(m.Groups[1].Value, typeof(PlanCommand.Entry).GetProperties().Select(p => JsonNamingLower(p.Name)));
        var commands = Commands(text, new Dictionary<string, string>
        {
            ["${{ inputs.pipeline }}"] = "pipelines/zero-init-seeds.json",
            ["${{ matrix.shard }}"] = "2/12",
        });
        Assert.True(commands.Count >= 4, "plan, download, run --shard, run --collect");
        foreach (var args in commands)
            AssertParses(args, "github/sweep.yml");
    }

    [Theory]
    [InlineData("slurm/sweep.sbatch")]
    [InlineData("slurm/claim.sbatch")]
    [InlineData("slurm/collect.sbatch")]
    public void Slurm_scripts_run_commands_the_tool_parses(string file)
    {
        string text = File.ReadAllText(Deploy(file));
        Assert.StartsWith("#!/bin/bash", text);
        var commands = Commands(text, new Dictionary<string, string>
        {
            ["\"$tool\""] = "pipeline.dll",
            ["$pipeline_file"] = "pipelines/zero-init-seeds.json",
            ["${SLURM_ARRAY_TASK_ID}"] = "5",
            ["${SLURM_ARRAY_TASK_COUNT}"] = "12",
        });
        Assert.NotEmpty(commands);
        foreach (var args in commands)
            AssertParses(args, file);
    }

    /// <summary>
    /// collect.sbatch writes the results page only for a pipeline that publishes its run records (`pipeline results`
    /// refuses one that does not): its shell test must say what the tool says, for every pipeline in pipelines/.
    /// </summary>
    [Fact]
    public void The_slurm_collect_writes_the_results_page_for_exactly_the_pipelines_that_publish_records()
    {
        string condition = File.ReadAllLines(Deploy("slurm/collect.sbatch")).Single(l => l.StartsWith("if grep ", StringComparison.Ordinal))["if ".Length..^"; then".Length];
        var pipelines = Directory.GetFiles(Path.Combine(PipelineProcess.Repository, "pipelines"), "*.json")
            .Where(f => Path.GetFileName(f) != "evaluation.json") // the scheduled evaluation's plan, not an experiment
            .Select(f => (File: f, Publishes: ExperimentPipeline.Load(f).Results.Length > 0)).ToArray();
        Assert.Contains(pipelines, p => p.Publishes);
        Assert.Contains(pipelines, p => !p.Publishes);
        foreach (var (file, publishes) in pipelines)
        {
            var shell = ExternalCommand.Run("bash", ["-c", condition.Replace("\"$pipeline_file\"", "\"$1\"", StringComparison.Ordinal), "collect", file]);
            Assert.True(publishes == (shell.ExitCode == 0), $"{Path.GetFileName(file)}: the tool says it {(publishes ? "publishes" : "publishes nothing")}, collect.sbatch's test `{condition}` exits {shell.ExitCode}");
        }
    }

    private static string JsonNamingLower(string name) => char.ToLowerInvariant(name[0]) + name[1..];
}
