
namespace Pipeline.Experiments.Tests;

public class RunSpecTests
{
    [Fact]
    public void Zero_init_defaults_follow_each_library()
    {
        Assert.False(new RunSpec { Name = "a", Flavour = ResNetFlavour.Torchvision }.EffectiveZeroInitLast);
        Assert.True(new RunSpec { Name = "a", Flavour = ResNetFlavour.Timm }.EffectiveZeroInitLast);
        Assert.True(new RunSpec { Name = "a", Flavour = ResNetFlavour.Torchvision, ZeroInitLast = true }.EffectiveZeroInitLast);
    }

    [Fact]
    public void Default_recipe_is_the_reference_experiment()
    {
        var spec = new RunSpec { Name = "a" };
        Assert.Same(Recipe.FastaiReference, spec.Recipe);
        Assert.Equal(HeadKind.Fastai, spec.Head);
        Assert.Equal(5, spec.Epochs);
        Assert.Equal(144, spec.ResizeSide); // 128 × 1.125
    }

    [Fact]
    public void Run_file_round_trips_through_json()
    {
        var spec = new RunSpec { Name = "rt", Flavour = ResNetFlavour.Timm, ZeroInitLast = false, Epochs = 3, Seed = 7 };
        string path = Path.Combine(Path.GetTempPath(), $"runspec-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, spec.ToJson());
        var back = RunSpec.Load(path);
        Assert.Equal(spec.ToJson(), back.ToJson());
        File.Delete(path);
    }

    [Fact]
    public void Bad_run_file_errors_name_the_file_and_the_field()
    {
        string path = Path.Combine(Path.GetTempPath(), $"runspec-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{ "name": "x", "epochs": 0, "recipeName": "nope" }""");
        var e = Assert.Throws<RunSpecException>(() => RunSpec.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("epochs", e.Message);
        Assert.Contains("nope", e.Message);
        File.WriteAllText(path, "{ not json");
        Assert.Contains(path, Assert.Throws<RunSpecException>(() => RunSpec.Load(path)).Message);
        File.Delete(path);
        Assert.Contains("no such run file", Assert.Throws<RunSpecException>(() => RunSpec.Load(path)).Message);
    }

    [Fact]
    public void A_misspelled_key_in_a_run_file_is_refused_not_replaced_by_the_default()
    {
        string path = Path.Combine(Path.GetTempPath(), $"runspec-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{ "name": "x", "epocs": 1 }""");
        var e = Assert.Throws<RunSpecException>(() => RunSpec.Load(path));
        File.Delete(path);
        Assert.Contains(path, e.Message);
        Assert.Contains("unknown key 'epocs' (line 1): check its spelling", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(".NET", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_recorded_definition_matches_by_meaning_so_a_field_added_later_with_its_default_still_matches()
    {
        var spec = new RunSpec { Name = "a", Seed = 3 };
        string recorded = spec.ToJson().Replace(",\n  \"validateEvery\": 1", "", StringComparison.Ordinal);
        Assert.DoesNotContain("validateEvery", recorded);
        Assert.True(spec.IsDefinedBy(recorded));
        Assert.False((spec with { Seed = 4 }).IsDefinedBy(recorded));
        Assert.False(spec.IsDefinedBy("{ not json"));
    }

    [Fact]
    public void Every_published_run_record_still_defines_its_run_and_means_Imagenette_from_scratch()
    {
        var records = Directory.EnumerateFiles(Pipeline.Testing.TestRepository.PathOf("docs/results"), "config.json", SearchOption.AllDirectories).ToArray();
        Assert.NotEmpty(records);
        foreach (string record in records)
        {
            var spec = RunSpec.Load(record);
            Assert.True(spec.IsDefinedBy(File.ReadAllText(record)), record);
            Assert.True(spec is { ValFraction: null, SplitSeed: 0, InitWeights: null, NewHead: false, InitWeightsSha256: null }, record);
        }
    }

    [Fact]
    public void A_run_file_names_its_dataset_data_as_the_command_line_does_and_dataset_is_still_read()
    {
        using var folder = new TempFiles();
        var data = RunSpec.Load(folder.Write("a.json", """{ "name": "a", "data": "/photos", "valFraction": 0.2, "splitSeed": 7 }"""));
        var dataset = RunSpec.Load(folder.Write("b.json", """{ "name": "a", "dataset": "/photos", "valFraction": 0.2, "splitSeed": 7 }"""));

        Assert.Equal("/photos", data.Dataset);
        Assert.Equal(data.ToJson(), dataset.ToJson());
        Assert.Contains("\"dataset\": \"/photos\"", data.ToJson()); // records keep the key they always had
        Assert.DoesNotContain("\"data\"", data.ToJson());
        var both = Assert.Throws<RunSpecException>(() => RunSpec.Load(folder.Write("c.json", """{ "name": "a", "data": "/x", "dataset": "/y" }""")));
        Assert.Contains("gives both \"data\" and \"dataset\"", both.Message);
    }

    [Fact]
    public void New_head_needs_initial_weights_and_a_fraction_lies_between_0_and_1()
    {
        Assert.Contains(new RunSpec { Name = "a", NewHead = true }.Validate(), p => p.StartsWith("newHead re-initialises", StringComparison.Ordinal));
        Assert.Contains(new RunSpec { Name = "a", ValFraction = 1 }.Validate(), p => p.StartsWith("valFraction must be above 0", StringComparison.Ordinal));
        Assert.Empty(new RunSpec { Name = "a", ValFraction = 0.25, InitWeights = "w.pth", NewHead = true }.Validate());
    }

    [Fact]
    public void The_initial_weights_file_is_recorded_by_its_sha256_and_a_changed_file_is_another_run()
    {
        using var folder = new TempFiles();
        string weights = folder.Write("w.pth", "weights");
        var spec = new RunSpec { Name = "a", InitWeights = weights }.WithInitWeightsHash();

        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("weights"u8)), spec.InitWeightsSha256);
        Assert.Equal(spec.InitWeightsSha256, spec.WithInitWeightsHash().InitWeightsSha256);
        File.WriteAllText(weights, "other weights");
        var changed = Assert.Throws<RunSpecException>(() => spec.WithInitWeightsHash());
        Assert.Contains($"{weights} has SHA-256", changed.Message);
        Assert.Contains("Restore that file, or give the run another name", changed.Message);
        Assert.Throws<RunSpecException>(() => new RunSpec { Name = "a", InitWeights = folder.Path("missing.pth") }.WithInitWeightsHash());
    }

    /// <summary>A temp folder of small files, deleted on dispose.</summary>
    private sealed class TempFiles : IDisposable
    {
        private readonly string _root = Directory.CreateTempSubdirectory("pipeline-runspec-").FullName;
        public string Path(string name) => System.IO.Path.Combine(_root, name);
        public string Write(string name, string text)
        {
            File.WriteAllText(Path(name), text);
            return Path(name);
        }
        public void Dispose() => Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void Validation_happens_every_n_epochs_and_always_after_the_last()
    {
        var spec = new RunSpec { Name = "a", Epochs = 12, ValidateEvery = 5 };
        Assert.Equal([5, 10, 12], Enumerable.Range(1, 12).Where(spec.ValidatesAfter));
        Assert.Contains("validateEvery must be at least 1", string.Join(" ", (spec with { ValidateEvery = 0 }).Validate()));
    }

    [Fact]
    public void Auto_precision_is_decided_for_this_machine_and_explicit_choices_are_kept()
    {
        var auto = new RunSpec { Name = "a" };
        Assert.Equal(Precision.Auto, auto.Precision);
        Assert.Equal(CpuFeatures.HasNativeBf16 ? Precision.Bf16 : Precision.Fp32, auto.ForThisMachine().Precision);
        Assert.Contains("\"precision\": \"" + (CpuFeatures.HasNativeBf16 ? "bf16" : "fp32") + "\"", auto.ForThisMachine().ToJson());
        Assert.Equal(Precision.Fp32, (auto with { Precision = Precision.Fp32 }).ForThisMachine().Precision);
        Assert.Equal(Precision.Bf16, (auto with { Precision = Precision.Bf16 }).ForThisMachine().Precision);
    }

    [Theory]
    [InlineData("flags\t\t: fpu avx2 avx512f avx512_bf16 fma", true)]
    [InlineData("flags\t\t: fpu avx2 amx_bf16 amx_tile", true)]
    [InlineData("flags\t\t: fpu avx2 avx512f avx512bw fma", false)]
    public void Native_bf16_is_read_from_the_cpu_flags(string flagsLine, bool native)
    {
        string path = Path.Combine(Path.GetTempPath(), $"cpuinfo-{Guid.NewGuid():N}");
        File.WriteAllText(path, $"processor\t: 0\nmodel name\t: Test CPU\n{flagsLine}\n\nprocessor\t: 1\n{flagsLine}\n");
        var flags = CpuFeatures.ReadFlags(path);
        File.Delete(path);
        Assert.Contains("fpu", flags);
        Assert.Equal(native, CpuFeatures.HasNativeBf16In(flags));
        Assert.Empty(CpuFeatures.ReadFlags(path));
    }

    [Fact]
    public void The_cpu_is_recorded_with_its_generation_because_a_virtual_machine_may_name_only_the_brand()
    {
        string path = Path.Combine(Path.GetTempPath(), $"cpuinfo-{Guid.NewGuid():N}");
        File.WriteAllText(path, "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 26\nmodel\t\t: 2\nmodel name\t: AMD EPYC\nstepping\t: 1\n");
        string withGeneration = CpuFeatures.Describe(path);
        File.WriteAllText(path, "processor\t: 0\nmodel name\t: Some CPU\n");
        string nameOnly = CpuFeatures.Describe(path);
        File.Delete(path);

        Assert.Equal("AMD EPYC, family 26 model 2 stepping 1", withGeneration);
        Assert.Equal("Some CPU", nameOnly);
        Assert.Equal("unknown CPU", CpuFeatures.Describe(path));
    }
}
