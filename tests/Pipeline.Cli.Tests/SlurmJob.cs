using System.Globalization;
using System.Text.RegularExpressions;

namespace Pipeline.Cli.Tests;

/// <summary>
/// One job, or one task of an array (<c>jid_k</c>), as <c>scontrol -o show job</c> describes it: the cluster has no
/// accounting database, so scontrol (with MinJobAge keeping finished jobs for a day) is where states and exit codes are.
/// </summary>
public sealed partial record SlurmJob(string Id, string State, string Reason, string ExitCode, string StdOut, DateTime? Start, DateTime? End)
{
    /// <summary>The states a job does not leave by itself (a requeue puts a cancelled task back to PENDING).</summary>
    private static readonly HashSet<string> EndStates = ["COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "BOOT_FAIL", "DEADLINE", "PREEMPTED"];

    public bool HasEnded => EndStates.Contains(State);

    /// <summary>What the sweep asks of every job: COMPLETED, with exit code 0 and no signal.</summary>
    public bool Succeeded => State == "COMPLETED" && ExitCode == "0:0";

    /// <summary>What the job printed (its --output file); empty while it has written nothing.</summary>
    public string Log => File.Exists(StdOut) ? File.ReadAllText(StdOut) : "";

    [GeneratedRegex(@"(?<key>\w+)=(?<value>\S*)")]
    private static partial Regex Field();

    /// <summary>The jobs in scontrol's one-line-per-job output.</summary>
    public static IReadOnlyList<SlurmJob> Parse(string scontrolOutput) =>
        scontrolOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(ParseLine).ToArray();

    private static SlurmJob ParseLine(string line)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match m in Field().Matches(line))
            fields.TryAdd(m.Groups["key"].Value, m.Groups["value"].Value);
        string Get(string key) => fields.TryGetValue(key, out string? value) ? value : throw new FormatException($"no {key}= in scontrol's line: {line}");
        // An array task is named jid_k; a pending array's tasks share one line (jid_[1-3]) until each is scheduled.
        string id = fields.TryGetValue("ArrayJobId", out string? array) ? $"{array}_{Get("ArrayTaskId")}" : Get("JobId");
        return new SlurmJob(id, Get("JobState"), Get("Reason"), Get("ExitCode"), Get("StdOut"), Time(Get("StartTime")), Time(Get("EndTime")));
    }

    private static DateTime? Time(string value) =>
        DateTime.TryParseExact(value, "yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var time) ? time : null;

    public override string ToString() => $"{Id} {State} (exit {ExitCode}, reason {Reason})";
}
