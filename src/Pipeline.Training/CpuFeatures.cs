namespace Pipeline.Training;

/// <summary>What this machine's CPU offers libtorch's kernels, read once from /proc/cpuinfo (Linux; elsewhere: nothing).</summary>
public static class CpuFeatures
{
    /// <summary>
    /// Native bf16 arithmetic: AVX512_BF16 (Intel Cooper Lake and later, AMD Zen 4 and later) or AMX-BF16 (Intel Sapphire
    /// Rapids and later). With it oneDNN runs bf16 convolutions on its <c>avx512_core_bf16</c> / AMX kernels (seen with
    /// ONEDNN_VERBOSE=1) and a bf16 training step is about twice as fast as fp32; without it the kernels are emulated or fall
    /// back to libtorch's reference code, and an earlier machine of this project ran a bf16 step about 25× slower than fp32.
    /// </summary>
    public static bool HasNativeBf16 => HasNativeBf16In(Flags);

    internal static bool HasNativeBf16In(IReadOnlySet<string> flags) => flags.Contains("avx512_bf16") || flags.Contains("amx_bf16");

    /// <summary>The CPU's feature flags (the "flags" line of /proc/cpuinfo).</summary>
    public static IReadOnlySet<string> Flags { get; } = ReadFlags("/proc/cpuinfo");

    internal static IReadOnlySet<string> ReadFlags(string cpuinfo)
    {
        if (!File.Exists(cpuinfo))
            return new HashSet<string>();
        string? line = File.ReadLines(cpuinfo).FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal));
        return line is null ? new HashSet<string>() : line[(line.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
    }

    /// <summary>"bf16 (AVX512_BF16)" or "fp32 (no native bf16)": what <see cref="Precision.Auto"/> picks here, and why.</summary>
    public static string AutoPrecisionReason =>
        HasNativeBf16 ? $"bf16: the CPU has {(Flags.Contains("amx_bf16") ? "AMX-BF16" : "AVX512_BF16")}" : "fp32: the CPU has no native bf16 (AVX512_BF16 or AMX-BF16)";
}
