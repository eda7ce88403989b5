namespace Pipeline.Training;

/// <summary>Resident memory of this process from /proc (includes libtorch's native allocations).</summary>
public static class ProcessMemory
{
    public static double ResidentMiB() => ReadKiB("VmRSS:") / 1024.0;
    public static double PeakResidentMiB() => ReadKiB("VmHWM:") / 1024.0;
    /// <summary>Resident anonymous memory: heaps (native and managed), not file-backed pages such as a memory-mapped cache.</summary>
    public static double AnonymousResidentMiB() => ReadKiB("RssAnon:") / 1024.0;

    private static long ReadKiB(string field)
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status))
            return 0;
        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line[field.Length..].Trim().Split(' ')[0]);
    }
}
