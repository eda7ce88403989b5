namespace Pipeline.Cli.Tests;

/// <summary>
/// A test on the one-node Slurm cluster of deploy/slurm/local-cluster.sh. Skipped, saying why, where that cluster cannot
/// start (Slurm or munge not installed, not root); with PIPELINE_REQUIRE_SLURM=1 (CI) it runs there and fails.
/// </summary>
public sealed class SlurmFactAttribute : FactAttribute
{
    public SlurmFactAttribute() => Skip = LocalSlurmCluster.SkipReason;
}

/// <inheritdoc cref="SlurmFactAttribute"/>
public sealed class SlurmTheoryAttribute : TheoryAttribute
{
    public SlurmTheoryAttribute() => Skip = LocalSlurmCluster.SkipReason;
}
