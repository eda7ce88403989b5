using System.Diagnostics;
using Pipeline.Experiments;
using Pipeline.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Training;

/// <summary>
/// Images per second of the trainer's own step (<see cref="TrainingStep"/>) and of eval-mode inference,
/// on random data of a given size: the speed of the model code alone, without the loader.
/// </summary>
public static class Throughput
{
    public sealed record Setting(string Name, bool ChannelsLast, Precision Precision);

    public static IReadOnlyList<Setting> Settings { get; } =
    [
        new("NCHW fp32 (baseline)", ChannelsLast: false, Precision.Fp32),
        new("channels-last fp32", ChannelsLast: true, Precision.Fp32),
        new("channels-last bf16", ChannelsLast: true, Precision.Bf16),
    ];

    public static double Training(ResNetConfig config, Setting setting, int batchSize, int imageSize, int warmupSteps, int steps, Recipe? recipe = null)
    {
        TorchRuntime.EnsureLoaded();
        recipe ??= Recipe.FastaiReference;
        torch.manual_seed(0);
        using var model = ResNet.Create(config);
        if (setting.ChannelsLast)
            MemoryFormat.ToChannelsLast(model);
        model.train();
        using var optimizer = OptimizerFactory.Create(model, recipe);
        using var mixed = setting.Precision == Precision.Bf16 ? new MixedPrecision(model, setting.ChannelsLast) : null;
        var step = new TrainingStep(model, optimizer, mixed, recipe.LabelSmoothing);
        using var x0 = rand(batchSize, 3, imageSize, imageSize);
        using var x = setting.ChannelsLast ? MemoryFormat.ChannelsLast(x0) : x0.alias();
        using var y = randint(0, config.NumClasses, [batchSize], ScalarType.Int64);

        var clock = new Stopwatch();
        for (int i = 0; i < warmupSteps + steps; i++)
        {
            if (i == warmupSteps)
                clock.Start();
            using var scope = NewDisposeScope();
            step.Run(x, y);
        }
        return (double)steps * batchSize / clock.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// Eval-mode forward passes (no gradients): fp32, channels-last or not, or bf16 on <see cref="MixedPrecision"/>'s
    /// compute copy, which is how the trainer validates a bf16 run.
    /// </summary>
    public static double Inference(ResNetConfig config, Setting setting, int batchSize, int imageSize, int warmupBatches, int batches)
    {
        TorchRuntime.EnsureLoaded();
        torch.manual_seed(0);
        using var master = ResNet.Create(config);
        if (setting.ChannelsLast)
            MemoryFormat.ToChannelsLast(master);
        master.eval();
        using var mixed = setting.Precision == Precision.Bf16 ? new MixedPrecision(master, setting.ChannelsLast) : null;
        var model = mixed?.EvalCopy() ?? master;
        using var noGrad = no_grad();
        using var x0 = rand(batchSize, 3, imageSize, imageSize);
        using var x1 = setting.ChannelsLast ? MemoryFormat.ChannelsLast(x0) : x0.alias();
        using var x = mixed is null ? x1.alias() : x1.to(MixedPrecision.ComputeType);
        var clock = new Stopwatch();
        for (int i = 0; i < warmupBatches + batches; i++)
        {
            if (i == warmupBatches)
                clock.Start();
            using var scope = NewDisposeScope();
            model.forward(x);
        }
        return (double)batches * batchSize / clock.Elapsed.TotalSeconds;
    }
}
