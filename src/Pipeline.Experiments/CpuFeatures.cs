namespace Pipeline.Experiments;

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
    public static IReadOnlySet<string> Flags { get; } = ReadFlags(CpuInfo);

    /// <summary>
    /// The CPU, for run and benchmark records: its name with its family, model and stepping ("AMD EPYC, family 26 model 2
    /// stepping 1"). A virtual machine often names only the brand, and oneDNN picks its kernels by generation, which the
    /// numbers tell apart (family 25 is AMD Zen 3/4, 26 is Zen 5): results are bit-identical only within one.
    /// </summary>
    public static string ModelName { get; } = Describe(CpuInfo);

    /// <summary>
    /// Whether a recorded <see cref="ModelName"/> names the CPU's generation (family, model, stepping), which oneDNN's
    /// kernels depend on; records made before it did name the brand only ("AMD EPYC"), which spans generations.
    /// </summary>
    public static bool NamesGeneration(string modelName) => modelName.Contains(", family ", StringComparison.Ordinal);

    internal static string Describe(string cpuinfo)
    {
        string name = Field(cpuinfo, "model name") ?? "unknown CPU";
        string?[] generation = [Field(cpuinfo, "cpu family"), Field(cpuinfo, "model"), Field(cpuinfo, "stepping")];
        return generation.Any(g => g is null) ? name : $"{name}, family {generation[0]} model {generation[1]} stepping {generation[2]}";
    }

    private const string CpuInfo = "/proc/cpuinfo";

    internal static IReadOnlySet<string> ReadFlags(string cpuinfo) =>
        (Field(cpuinfo, "flags") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet();

    /// <summary>The value of the first "key : value" line for <paramref name="key"/>; null when there is none (or no such file).</summary>
    private static string? Field(string cpuinfo, string key)
    {
        if (!File.Exists(cpuinfo))
            return null;
        // "model" also begins "model name": match the key up to its tab-and-colon separator.
        string? line = File.ReadLines(cpuinfo).FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal) && l[key.Length..].TrimStart().StartsWith(':'));
        return line?[(line.IndexOf(':') + 1)..].Trim();
    }

    /// <summary>"auto → bf16: the CPU has AVX512_BF16" or "auto → fp32: the CPU has no native bf16 …": what <see cref="Precision.Auto"/> picks here, and why.</summary>
    public static string AutoPrecisionChoice =>
        HasNativeBf16 ? $"auto → bf16: the CPU has {(Flags.Contains("amx_bf16") ? "AMX-BF16" : "AVX512_BF16")}" : "auto → fp32: the CPU has no native bf16 (AVX512_BF16 or AMX-BF16)";
}
