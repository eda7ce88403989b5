using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pipeline.Evaluation.Tests.Fixtures;

namespace Pipeline.Inference.Tests;

/// <summary><c>services.AddImageClassifier</c>: what an ASP.NET Core or generic-host app gets from its container.</summary>
public sealed class ServiceCollectionTests : IDisposable
{
    private readonly TestModels _models = new();

    public void Dispose() => _models.Dispose();

    [Fact]
    public void One_classifier_is_shared_by_every_resolution_and_scope()
    {
        using var services = new ServiceCollection().AddImageClassifier(_models.Random("tiny"), o => o.Device = ComputeDevice.Cpu).BuildServiceProvider();

        var first = services.GetRequiredService<IImageClassifier>();
        using var scope = services.CreateScope();
        Assert.Same(first, services.GetRequiredService<IImageClassifier>());
        Assert.Same(first, scope.ServiceProvider.GetRequiredService<IImageClassifier>());
        Assert.IsType<ImageClassifier>(first);
        Assert.Equal("CPU", first.Device.Description); // the delegate's options, not Auto's
        Assert.Equal(ServiceLifetime.Singleton, Assert.Single(new ServiceCollection().AddImageClassifier("m.onnx"), d => d.ServiceType == typeof(IImageClassifier)).Lifetime);
    }

    [Fact]
    public void The_shared_classifier_classifies_as_one_loaded_directly()
    {
        string model = _models.Random("tiny");
        string image = Imagenette.ValSlice(perClass: 1).Examples[2].ImagePath;
        using var services = new ServiceCollection().AddImageClassifier(model, o => o.Device = ComputeDevice.Cpu).BuildServiceProvider();
        using var direct = ImageClassifier.Load(model, new ClassifierOptions { Device = ComputeDevice.Cpu });

        var shared = services.GetRequiredService<IImageClassifier>();

        Assert.Equal(Path.GetFullPath(model), shared.ModelPath);
        Assert.Equal(direct.Classify(image), shared.Classify(image));
    }

    [Fact]
    public void Options_come_from_the_delegate_and_from_the_options_pattern()
    {
        var services = new ServiceCollection()
            .AddImageClassifier(_models.Random("tiny"), o => o.Device = ComputeDevice.Cpu)
            .Configure<ClassifierOptions>(o => o.MaxBatchSize = 0); // applied after the delegate: Load refuses it
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => provider.GetRequiredService<IImageClassifier>());
        Assert.Contains("MaxBatchSize", ex.Message);
    }

    [Fact]
    public void The_device_decision_and_the_load_go_to_the_apps_logger()
    {
        using var log = new CapturingLogger();
        string model = _models.Random("tiny");
        using var services = new ServiceCollection()
            .AddSingleton<ILoggerFactory>(log)
            .AddImageClassifier(model, o => o.Device = ComputeDevice.Cpu)
            .BuildServiceProvider();

        services.GetRequiredService<IImageClassifier>();

        Assert.Contains($"{Path.GetFullPath(model)} runs on CPU (asked for Cpu)", log.Lines);
        Assert.Contains(log.Lines, l => l.StartsWith($"Loaded {Path.GetFullPath(model)} in ", StringComparison.Ordinal));
    }
}
