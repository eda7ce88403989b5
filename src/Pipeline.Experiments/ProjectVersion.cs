using System.Reflection;

namespace Pipeline.Experiments;

/// <summary>The version and git commit this build was made from: "0.1.0+a5452d4b01fc" (the SDK stamps the commit).</summary>
public static class ProjectVersion
{
    public static string Current { get; } = Read();

    private static string Read()
    {
        string full = typeof(ProjectVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        int plus = full.IndexOf('+', StringComparison.Ordinal);
        return plus >= 0 && full.Length > plus + 13 ? full[..(plus + 13)] : full;
    }
}
