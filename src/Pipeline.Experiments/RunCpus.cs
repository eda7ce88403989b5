namespace Pipeline.Experiments;

/// <summary>
/// The CPUs that trained a run, read from its epochs' records. oneDNN picks its kernels per CPU generation, so a run
/// resumed on another generation reproduces bit for bit on neither, and its record has to say which epochs ran where.
/// </summary>
public static class RunCpus
{
    private const string NotRecorded = "not recorded";

    /// <summary>
    /// The one CPU's name when every epoch and the finish (train-split scoring, saving the weights) ran on it; else each
    /// CPU with its epochs, in order: "X (epochs 1–8); Y (epochs 9–20)". Epochs from before the field read "not recorded".
    /// </summary>
    public static string Describe(IReadOnlyList<EpochMetrics> epochs, string finishedOn)
    {
        var spans = new List<(string Cpu, int First, int Last)>();
        foreach (var epoch in epochs)
        {
            string cpu = epoch.Cpu ?? NotRecorded;
            if (spans.Count > 0 && spans[^1].Cpu == cpu)
                spans[^1] = spans[^1] with { Last = epoch.Epoch };
            else
                spans.Add((cpu, epoch.Epoch, epoch.Epoch));
        }
        if (spans is [] || spans is [{ Cpu: var only }] && only == finishedOn)
            return finishedOn;
        var parts = spans.Select(s => $"{s.Cpu} ({(s.First == s.Last ? $"epoch {s.First}" : $"epochs {s.First}–{s.Last}")})").ToList();
        if (spans[^1].Cpu != finishedOn)
            parts.Add($"{finishedOn} (the finish)");
        return string.Join("; ", parts);
    }

    /// <summary>Whether a recorded CPU (<see cref="RunSummary.Cpu"/>) is several, from a run resumed on another machine.</summary>
    public static bool NamesSeveral(string recorded) => recorded.EndsWith(')') && recorded.Contains(" (epoch", StringComparison.Ordinal);

    /// <summary>The warning for resuming <paramref name="epochs"/> here when some ran on another CPU; null when none did.</summary>
    public static string? ResumeWarning(IReadOnlyList<EpochMetrics> epochs, string here)
    {
        var elsewhere = epochs.Where(e => e.Cpu is { } cpu && cpu != here).Select(e => e.Cpu!).Distinct().ToArray();
        return elsewhere.Length == 0 ? null :
            $"warning: epochs of this run trained on {string.Join(" and ", elsewhere)}, and this machine is {here}. oneDNN picks its kernels per CPU " +
            "generation, so the finished run will reproduce bit for bit on neither; its record names each CPU with its epochs";
    }
}
