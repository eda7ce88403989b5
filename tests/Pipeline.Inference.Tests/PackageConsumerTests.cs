using System.Diagnostics;
using System.Globalization;
using Pipeline.Evaluation.Tests.Fixtures;
using Pipeline.Experiments;
using Pipeline.Models;
using Xunit.Abstractions;

namespace Pipeline.Inference.Tests;

/// <summary>
/// What a user of the NuGet package gets: `dotnet pack` the library into a local feed, build a fresh project
/// outside this repository that references the package (and nothing of ours), with the sample app's
/// Program.cs as its code, and classify a real Imagenette image with an exported ResNet18.
/// </summary>
public sealed class PackageConsumerTests(ITestOutputHelper output) : IDisposable
{
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("pipeline-consumer-");

    public void Dispose()
    {
        try { _work.Delete(recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void A_fresh_project_referencing_the_packed_package_classifies_a_real_image()
    {
        string repo = RepositoryRoot();
        string feed = Path.Combine(_work.FullName, "feed");
        string app = Path.Combine(_work.FullName, "app");
        Directory.CreateDirectory(app);
        // A version no earlier run used: the NuGet cache keeps packages by id and version, and must not answer with a stale one.
        string version = $"0.1.0-consumer.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";

        // Built in its own artifacts folder, so the repository's own build output is left alone.
        Dotnet(repo, $"pack src/Pipeline.Inference -c Release -o \"{feed}\" --artifacts-path \"{Path.Combine(_work.FullName, "artifacts")}\" -p:Version={version}");
        Assert.True(File.Exists(Path.Combine(feed, $"Pipeline.Inference.{version}.nupkg")), "dotnet pack wrote no package");

        File.WriteAllText(Path.Combine(app, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Pipeline.Inference" Version="{version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
            </configuration>
            """);
        File.Copy(Path.Combine(repo, "src", "Pipeline.Inference.Sample", "Program.cs"), Path.Combine(app, "Program.cs"));

        string model = ExportedResNets.Export(Path.Combine(_work.FullName, "resnet18.onnx"), new ResNetConfig(ResNetFlavour.Timm, true, HeadKind.Fastai), seed: 5);
        string image = Imagenette.ValSlice(perClass: 1).Examples[4].ImagePath;
        string stdout = Dotnet(app, $"run -c Release -- \"{model}\" \"{image}\"");

        using var classifier = ImageClassifier.Load(model, new ClassifierOptions { Device = ComputeDevice.Cpu });
        var expected = classifier.Classify(image, topK: 3)
            .Select(p => string.Create(CultureInfo.InvariantCulture, $"  {p.ClassName} ({p.ClassId}) {p.Probability:0.0000}"));
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
        var modelLine = Assert.Single(lines, l => l.StartsWith("model: resnet18.onnx (timm, zero-init-last True, fastai head, 10 classes) on ", StringComparison.Ordinal));
        Assert.Matches(@" on (CPU|CUDA:\d)", modelLine);
        int at = Array.IndexOf(lines, image);
        Assert.True(at >= 0, $"the app did not print the image path; it printed:\n{stdout}");
        Assert.Equal(expected, lines.Skip(at + 1).Take(3));
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Pipeline.sln")))
                return dir.FullName;
        }
        throw new DirectoryNotFoundException($"No Pipeline.sln above {AppContext.BaseDirectory}.");
    }

    /// <summary>Runs the dotnet CLI; a failure shows what it printed.</summary>
    private string Dotnet(string workingDirectory, string arguments)
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
        output.WriteLine($"$ dotnet {arguments}\n{stdout}{stderr.Result}");
        Assert.True(process.ExitCode == 0, $"dotnet {arguments} (in {workingDirectory}) exited with {process.ExitCode}:\n{stdout}\n{stderr.Result}");
        return stdout;
    }
}
