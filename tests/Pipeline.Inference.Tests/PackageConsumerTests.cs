using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Xml.Linq;
using Pipeline.Evaluation.Tests.Fixtures;
using Pipeline.Experiments;
using Pipeline.Models;
using Pipeline.Testing;
using Xunit.Abstractions;

namespace Pipeline.Inference.Tests;

/// <summary>
/// What a user of the NuGet packages gets: the three packages packed into a local feed, fresh projects outside this
/// repository that reference one of them (and nothing of ours), with the sample app's Program.cs as their code,
/// classifying a real Imagenette image with an exported ResNet18 in both of the sample's forms (the classifier loaded
/// plainly, and the shared one from a service container).
/// </summary>
public sealed class PackageConsumerTests(PackedPackages packages, ITestOutputHelper output) : IClassFixture<PackedPackages>
{
    private static readonly string Image = Imagenette.ValSlice(perClass: 1).Examples[4].ImagePath;

    [Fact]
    public void Each_package_says_what_a_consumer_gets_and_the_library_alone_brings_no_native_onnx_runtime()
    {
        string id = PackedPackages.Id;
        var core = packages.Nuspec(id);
        Assert.Equal("MIT", core.License);
        Assert.Equal("git", core.RepositoryType);
        Assert.Matches("^[0-9a-f]{40}$", core.RepositoryCommit);
        Assert.Equal(["net10.0", "net8.0"], core.Dependencies.Keys.Order());
        foreach (var (framework, dependencies) in core.Dependencies)
        {
            Assert.Contains($"lib/{framework}/Pipeline.Inference.dll", core.Files);
            Assert.Contains("Microsoft.ML.OnnxRuntime.Managed", dependencies);
            Assert.Contains("SkiaSharp", dependencies);
            Assert.DoesNotContain("Microsoft.ML.OnnxRuntime", dependencies);
            Assert.DoesNotContain("Microsoft.ML.OnnxRuntime.Gpu", dependencies);
        }
        foreach (var (flavour, native) in new[] { ("Cpu", "Microsoft.ML.OnnxRuntime"), ("Gpu", "Microsoft.ML.OnnxRuntime.Gpu") })
        {
            var package = packages.Nuspec($"{id}.{flavour}");
            Assert.Equal("MIT", package.License);
            Assert.Contains("README.md", package.Files);
            Assert.All(package.Dependencies.Values, d => Assert.Equal(new[] { id, native }.Order(StringComparer.Ordinal), d.Order(StringComparer.Ordinal)));
        }
    }

    [Fact]
    public void A_fresh_cpu_app_classifies_a_real_image_both_ways_and_prints_no_error()
    {
        // net8.0 too: the package serves the LTS (built here; this machine runs .NET 10 only).
        string app = packages.BuildApp("cpu", $"{PackedPackages.Id}.Cpu", "net10.0;net8.0");
        foreach (string form in new[] { "", "--di " })
        {
            var (stdout, stderr) = Run(app, form);
            AssertAnswer(stdout, @"CPU \(CUDA provider not installed: this ONNX Runtime is its CPU build\)");
            Assert.True(stderr == "", $"classify {form}wrote to stderr:\n{stderr}");
        }
    }

    [Fact]
    public void A_fresh_gpu_app_runs_on_cuda_or_says_why_not_and_prints_no_onnx_runtime_error()
    {
        string app = packages.BuildApp("gpu", $"{PackedPackages.Id}.Gpu", "net10.0");
        foreach (string form in new[] { "", "--di " })
        {
            var (stdout, stderr) = Run(app, form);
            AssertAnswer(stdout, @"(CUDA:0|CPU \(no CUDA: .+ not found\))");
            // Where CUDA runs, ONNX Runtime may still warn (which nodes stay on the CPU); an error line is what a healthy run must not show.
            Assert.False(stderr.Contains("[E:onnxruntime", StringComparison.Ordinal) || stderr.Contains("Failed to load", StringComparison.Ordinal),
                $"classify {form}printed an ONNX Runtime error:\n{stderr}");
        }
    }

    [Fact]
    public void A_fresh_app_with_the_library_alone_is_told_which_native_package_to_add()
    {
        string app = packages.BuildApp("core-only", PackedPackages.Id, "net10.0");
        var result = Dotnet.Run(app, $"bin/Release/net10.0/Consumer.dll \"{packages.Model}\" \"{Image}\"", output);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"Reference exactly one of its native packages instead: {PackedPackages.Id}.Cpu (runs on the CPU) or {PackedPackages.Id}.Gpu", result.Stderr);
    }

    private (string Stdout, string Stderr) Run(string app, string form)
    {
        var result = Dotnet.Run(app, $"bin/Release/net10.0/Consumer.dll {form}\"{packages.Model}\" \"{Image}\"", output);
        Assert.True(result.ExitCode == 0, $"classify {form}exited with {result.ExitCode}:\n{result.Stdout}\n{result.Stderr}");
        return (result.Stdout, result.Stderr);
    }

    /// <summary>The app's answer must be the in-process classifier's, to the printed digit, on the device <paramref name="device"/> matches.</summary>
    private void AssertAnswer(string stdout, string device)
    {
        using var classifier = ImageClassifier.Load(packages.Model, new ClassifierOptions { Device = ComputeDevice.Cpu });
        var expected = classifier.Classify(Image, topK: 3)
            .Select(p => string.Create(CultureInfo.InvariantCulture, $"  {p.ClassName} ({p.ClassId}) {p.Probability:0.0000}"));
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
        var modelLine = Assert.Single(lines, l => l.StartsWith("model: resnet18.onnx (timm, zero-init-last True, fastai head, 10 classes) on ", StringComparison.Ordinal));
        Assert.Matches($" on {device}$", modelLine);
        int at = Array.IndexOf(lines, Image);
        Assert.True(at >= 0, $"the app did not print the image path; it printed:\n{stdout}");
        Assert.Equal(expected, lines.Skip(at + 1).Take(3));
    }
}

/// <summary>
/// The packages packed once for the consumer tests (under a version no earlier run used: the NuGet cache keeps packages
/// by id and version, and must not answer with a stale one), a real exported ResNet18, and the fresh apps built against them.
/// </summary>
public sealed class PackedPackages : IDisposable
{
    /// <summary>The library's package id; the native packages add .Cpu and .Gpu.</summary>
    public static string Id => OnnxRuntimeNative.PackageId;

    /// <summary>Every package a consumer may need, as build.cake's Pack target packs them.</summary>
    private static readonly string[] Projects = ["src/Pipeline.Inference.Cpu", "src/Pipeline.Inference.Gpu", "src/Pipeline.Inference"];

    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("pipeline-consumer-");
    private readonly string _repo = TestRepository.Root;
    private readonly string _feed;
    private readonly string _version = $"0.1.0-consumer.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";

    public string Model { get; }

    public PackedPackages()
    {
        _feed = Path.Combine(_work.FullName, "feed");
        // Built in their own artifacts folder, so the repository's own build output is left alone.
        foreach (string project in Projects)
            Dotnet.Check(_repo, $"pack {project} -c Release -o \"{_feed}\" --artifacts-path \"{Path.Combine(_work.FullName, "artifacts")}\" -p:Version={_version}");
        Model = ExportedResNets.Export(Path.Combine(_work.FullName, "resnet18.onnx"), new ResNetConfig(ResNetFlavour.Timm, true, HeadKind.Fastai), seed: 5);
    }

    public void Dispose()
    {
        try { _work.Delete(recursive: true); } catch (IOException) { }
    }

    public sealed record PackageManifest(string License, string RepositoryType, string RepositoryCommit, IReadOnlyDictionary<string, string[]> Dependencies, string[] Files);

    public PackageManifest Nuspec(string id)
    {
        string path = Path.Combine(_feed, $"{id}.{_version}.nupkg");
        Assert.True(File.Exists(path), $"dotnet pack wrote no {Path.GetFileName(path)}");
        using var zip = ZipFile.OpenRead(path);
        using var stream = zip.GetEntry($"{id}.nuspec")!.Open();
        var metadata = XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        XElement Child(XElement e, string name) => e.Elements().Single(c => c.Name.LocalName == name);
        var repository = Child(metadata, "repository");
        return new PackageManifest(
            Child(metadata, "license").Value,
            (string?)repository.Attribute("type") ?? "",
            (string?)repository.Attribute("commit") ?? "",
            Child(metadata, "dependencies").Elements().ToDictionary(
                g => (string)g.Attribute("targetFramework")!,
                g => g.Elements().Select(d => (string)d.Attribute("id")!).ToArray()),
            zip.Entries.Select(e => e.FullName).ToArray());
    }

    /// <summary>A new console project outside the repository with the sample's Program.cs, referencing <paramref name="package"/>, built in Release.</summary>
    public string BuildApp(string name, string package, string targetFrameworks)
    {
        string app = Path.Combine(_work.FullName, name);
        Directory.CreateDirectory(app);
        File.WriteAllText(Path.Combine(app, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFrameworks>{targetFrameworks}</TargetFrameworks>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="{package}" Version="{_version}" />
                <PackageReference Include="Microsoft.Extensions.DependencyInjection" Version="{CentralVersion("Microsoft.Extensions.DependencyInjection")}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{_feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
            </configuration>
            """);
        File.Copy(Path.Combine(_repo, "src", "Pipeline.Inference.Sample", "Program.cs"), Path.Combine(app, "Program.cs"));
        Dotnet.Check(app, "build -c Release");
        return app;
    }

    /// <summary>The version Directory.Packages.props gives <paramref name="package"/>, so the apps use what the repository tests with.</summary>
    private string CentralVersion(string package) =>
        (string)XDocument.Load(Path.Combine(_repo, "Directory.Packages.props")).Descendants("PackageVersion")
            .Single(p => (string?)p.Attribute("Include") == package).Attribute("Version")!;
}

/// <summary>Runs the dotnet CLI as a child process, outside the test host's MSBuild settings.</summary>
internal static class Dotnet
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Run(string workingDirectory, string arguments, ITestOutputHelper? output = null)
    {
        var start = new ProcessStartInfo("dotnet", arguments)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // The test host's MSBuild settings must not leak into the child builds.
        foreach (string variable in new[] { "MSBuildSDKsPath", "MSBuildExtensionsPath", "MSBUILD_EXE_PATH" })
            start.Environment.Remove(variable);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"dotnet {arguments} did not finish in 5 minutes.");
        }
        output?.WriteLine($"$ dotnet {arguments}\n{stdout}{stderr.Result}");
        return new Result(process.ExitCode, stdout, stderr.Result);
    }

    /// <summary><see cref="Run"/>, failing with what it printed unless it exits with 0.</summary>
    public static void Check(string workingDirectory, string arguments)
    {
        var result = Run(workingDirectory, arguments);
        Assert.True(result.ExitCode == 0, $"dotnet {arguments} (in {workingDirectory}) exited with {result.ExitCode}:\n{result.Stdout}\n{result.Stderr}");
    }
}
