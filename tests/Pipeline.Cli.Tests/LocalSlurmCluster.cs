using Pipeline.Data;

namespace Pipeline.Cli.Tests;

/// <summary>
/// The one-node Slurm cluster that users start with deploy/slurm/local-cluster.sh, started by the same script in a
/// temporary state folder (its own munged, slurmctld and slurmd on 127.0.0.1 and free ports), and stopped by it when
/// disposed: every job cancelled, every daemon gone, or Dispose throws.
/// </summary>
public sealed class LocalSlurmCluster : IDisposable
{
    /// <summary>Set to 1 (.ci/run does) and a Slurm test fails where the cluster cannot start, instead of being skipped.</summary>
    public const string RequireVariable = "PIPELINE_REQUIRE_SLURM";

    /// <summary>A shipped Slurm file, as users run it: deploy/slurm/<paramref name="name"/>.</summary>
    public static string BatchScript(string name) => Path.Combine(PipelineProcess.Repository, "deploy", "slurm", name);

    public static string Script { get; } = BatchScript("local-cluster.sh");

    public static bool Required => Environment.GetEnvironmentVariable(RequireVariable) == "1";

    private static readonly Lazy<string?> WhyNotHere = new(() => OperatingSystem.IsLinux()
        ? ExternalCommand.Run("bash", [Script, "check"]) is { ExitCode: not 0 } check ? check.Output.Trim() : null
        : "Slurm's daemons run on Linux only.");

    /// <summary>Why a Slurm test is skipped on this machine; null where it runs (the cluster can start, or CI requires it).</summary>
    public static string? SkipReason =>
        Required || WhyNotHere.Value is not { } why ? null : $"{why} (with {RequireVariable}=1, as .ci/run sets, this test fails instead of being skipped)";

    public string StateFolder { get; } = Directory.CreateTempSubdirectory("slurm-local-").FullName;

    public LocalSlurmCluster()
    {
        var start = ClusterScript("start");
        if (start.ExitCode != 0)
        {
            if (ClusterScript("stop").ExitCode == 0) // whatever did start
                Directory.Delete(StateFolder, recursive: true);
            throw new InvalidOperationException($"{Script} start {StateFolder} failed; expected a one-node cluster up:\n{start}");
        }
    }

    public CliResult ClusterScript(string action) => ExternalCommand.Run("bash", [Script, action, StateFolder], timeout: TimeSpan.FromMinutes(3));

    /// <summary>
    /// The environment of every Slurm command, which sbatch passes on to its jobs: this cluster's slurm.conf, the shared
    /// dataset and the tool the tests built (PIPELINE_DLL, read by the batch scripts); a Slurm or sbatch setting from the
    /// caller's own environment (a developer inside a real cluster's job) would send the jobs elsewhere, so none is kept.
    /// </summary>
    private IReadOnlyDictionary<string, string?> CommandEnvironment()
    {
        var variables = Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(name => name.StartsWith("SLURM_", StringComparison.Ordinal) || name.StartsWith("SBATCH_", StringComparison.Ordinal))
            .ToDictionary(name => name, _ => (string?)null);
        variables["SLURM_CONF"] = Path.Combine(StateFolder, "slurm.conf");
        variables[ImageFolderDataset.RootVariable] = PipelineProcess.Dataset;
        variables["PIPELINE_DLL"] = PipelineProcess.Tool;
        return variables;
    }

    /// <summary>Runs a Slurm command (sbatch, scontrol, scancel…) against this cluster, from <paramref name="workingDirectory"/>.</summary>
    public CliResult Command(string workingDirectory, string command, params string[] arguments) =>
        ExternalCommand.Run(command, arguments, workingDirectory, CommandEnvironment());

    /// <summary><c>sbatch --parsable …</c> from <paramref name="workspace"/> (the jobs' working folder); returns the job id.</summary>
    public string Submit(string workspace, params string[] arguments)
    {
        var result = Command(workspace, "sbatch", ["--parsable", .. arguments]);
        Assert.True(result.ExitCode == 0, $"expected sbatch {string.Join(' ', arguments)} to submit a job:\n{result}");
        return result.Stdout.Trim().Split(';')[0];
    }

    /// <summary>The job, or every task of the array, <paramref name="id"/> names.</summary>
    public IReadOnlyList<SlurmJob> Jobs(string id)
    {
        var result = Command(StateFolder, "scontrol", "-o", "show", "job", id);
        Assert.True(result.ExitCode == 0, $"expected scontrol to know job {id}:\n{result}");
        return SlurmJob.Parse(result.Stdout);
    }

    /// <summary>Polls the job (or array) until <paramref name="done"/> holds; fails with the jobs' states and logs after <paramref name="timeout"/>.</summary>
    public IReadOnlyList<SlurmJob> WaitFor(string id, Func<IReadOnlyList<SlurmJob>, bool> done, string what, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var jobs = Jobs(id);
            if (done(jobs))
                return jobs;
            Assert.True(DateTime.UtcNow < deadline, $"expected {what} within {timeout}; job {id} is {Describe(jobs)}");
            Thread.Sleep(TimeSpan.FromMilliseconds(250));
        }
    }

    /// <summary>Waits until the job, or every task of the array, has ended (in any state).</summary>
    public IReadOnlyList<SlurmJob> WaitUntilEnded(string id, TimeSpan timeout) =>
        WaitFor(id, jobs => jobs.All(j => j.HasEnded), "every job to end", timeout);

    /// <summary>States and logs of <paramref name="jobs"/>, for a failure message.</summary>
    public static string Describe(IEnumerable<SlurmJob> jobs) =>
        string.Join("\n", jobs.OrderBy(j => j.Id, StringComparer.Ordinal).Select(j => $"{j}\n--- {j.StdOut}:\n{j.Log}"));

    public void Dispose()
    {
        var stop = ClusterScript("stop");
        var status = ClusterScript("status");
        // status exits 3 when none of the cluster's daemons runs; a folder still in use is kept, to look into.
        if (stop.ExitCode != 0 || status.ExitCode != 3)
            throw new InvalidOperationException($"expected {Script} stop to leave no daemon of {StateFolder} running:\n{stop}\n{status}");
        Directory.Delete(StateFolder, recursive: true);
    }
}
