namespace Pipeline.Experiments.Tests;

/// <summary>What a run's record says about the CPUs that trained it, when it was resumed on another one or was not.</summary>
public class RunCpusTests
{
    private const string Zen4 = "AMD EPYC, family 25 model 17 stepping 1";
    private const string Zen5 = "AMD EPYC, family 26 model 2 stepping 1";

    private static EpochMetrics[] Epochs(params string?[] cpus) =>
        cpus.Select((cpu, i) => new EpochMetrics(i + 1, 1.0, null, null, null, 0.1, 1, 1, 1, 1, 1) { Cpu = cpu }).ToArray();

    [Fact]
    public void A_run_trained_and_finished_on_one_cpu_names_just_that_cpu()
    {
        string recorded = RunCpus.Describe(Epochs(Zen4, Zen4, Zen4), Zen4);

        Assert.Equal(Zen4, recorded);
        Assert.False(RunCpus.NamesSeveral(recorded));
        Assert.Null(RunCpus.ResumeWarning(Epochs(Zen4, Zen4), Zen4));
    }

    [Fact]
    public void A_run_resumed_on_another_cpu_names_each_with_its_epochs_in_order()
    {
        string recorded = RunCpus.Describe(Epochs(Zen4, Zen4, Zen5, Zen5, Zen5), Zen5);

        Assert.Equal($"{Zen4} (epochs 1–2); {Zen5} (epochs 3–5)", recorded);
        Assert.True(RunCpus.NamesSeveral(recorded));
        Assert.True(CpuFeatures.NamesGeneration(recorded));
    }

    [Fact]
    public void Epochs_from_before_the_field_and_a_finish_elsewhere_are_said()
    {
        Assert.Equal($"not recorded (epochs 1–2); {Zen4} (epoch 3)", RunCpus.Describe(Epochs(null, null, Zen4), Zen4));
        Assert.Equal($"{Zen4} (epochs 1–3); {Zen5} (the finish)", RunCpus.Describe(Epochs(Zen4, Zen4, Zen4), Zen5));
    }

    [Fact]
    public void Resuming_on_another_cpu_warns_naming_both_and_epochs_without_a_cpu_do_not()
    {
        string? warning = RunCpus.ResumeWarning(Epochs(Zen4, Zen4), Zen5);

        Assert.NotNull(warning);
        Assert.Contains($"trained on {Zen4}, and this machine is {Zen5}", warning, StringComparison.Ordinal);
        Assert.Null(RunCpus.ResumeWarning(Epochs(null, null), Zen5));
    }
}
