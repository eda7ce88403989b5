using Pipeline.Models;
using Pipeline.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Training.Tests;

/// <summary>The project's optimizer steps against TorchSharp's: the same parameters and state, bit for bit.</summary>
public class ScalarSafeOptimizerTests
{
    private const double Lr = 1e-3, Momentum = 0.95, Beta2 = 0.99, Eps = 1e-5, Wd = 0.01;

    [Fact]
    public void AdamW_steps_exactly_as_TorchSharps_with_decayed_and_undecayed_groups_and_scheduled_hyper_parameters()
    {
        var (library, ours) = StepBoth<AdamW>(
            p => new AdamW(
                [new AdamW.ParamGroup([p[0], p[2]], Lr, Momentum, Beta2, Eps, Wd, false, false),
                 new AdamW.ParamGroup([p[1], p[3]], Lr, Momentum, Beta2, Eps, 0, false, false)],
                Lr, Momentum, Beta2, Eps, Wd, false, false),
            p => new ScalarSafeAdamW(
                [new AdamW.ParamGroup([p[0], p[2]], Lr, Momentum, Beta2, Eps, Wd, false, false),
                 new AdamW.ParamGroup([p[1], p[3]], Lr, Momentum, Beta2, Eps, 0, false, false)],
                Lr, Momentum, Beta2, Eps, Wd));

        var expected = library.state_dict().State.Cast<AdamW.State>().ToArray();
        var actual = ours.state_dict().State.Cast<AdamW.State>().ToArray();
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].step, actual[i].step);
            Assert.True(Same(actual[i].exp_avg, expected[i].exp_avg), $"state {i}: exp_avg differs");
            Assert.True(Same(actual[i].exp_avg_sq, expected[i].exp_avg_sq), $"state {i}: exp_avg_sq differs");
        }
    }

    [Fact]
    public void SGD_steps_exactly_as_TorchSharps_with_nesterov_momentum_decayed_and_undecayed_groups_and_a_schedule()
    {
        var (library, ours) = StepBoth<SGD>(
            p => new SGD(
                [new SGD.ParamGroup([p[0], p[2]], Lr, Momentum, 0, Wd, true, false),
                 new SGD.ParamGroup([p[1], p[3]], Lr, Momentum, 0, 0, true, false)],
                Lr, Momentum, 0, Wd, true, false),
            p => new ScalarSafeSGD(
                [new SGD.ParamGroup([p[0], p[2]], Lr, Momentum, 0, Wd, true, false),
                 new SGD.ParamGroup([p[1], p[3]], Lr, Momentum, 0, 0, true, false)],
                Lr, Momentum, Wd, nesterov: true));

        var expected = library.state_dict().State.Cast<SGD.State>().ToArray();
        var actual = ours.state_dict().State.Cast<SGD.State>().ToArray();
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Same(actual[i].momentum_buffer, expected[i].momentum_buffer), $"state {i}: momentum buffer differs");
    }

    /// <summary>
    /// Six steps of both optimizers on copies of the same parameters and gradients, with the one-cycle schedule's
    /// moving lr and momentum, and one parameter without a gradient every other step (the step skips it). Asserts that
    /// every parameter moved and that both optimizers moved it to the same bits.
    /// </summary>
    private static (TOptimizer Library, TOptimizer Ours) StepBoth<TOptimizer>(
        Func<Parameter[], TOptimizer> makeLibrary, Func<Parameter[], TOptimizer> makeOurs) where TOptimizer : OptimizerHelper
    {
        TorchRuntime.EnsureLoaded();
        torch.manual_seed(3);
        // Weights (decayed) and biases (not), as the trainer groups them.
        Tensor[] initial = [randn(8, 5), randn(8), randn(3, 8), randn(3)];
        Parameter[] Copy() => initial.Select(t => new Parameter(t.clone())).ToArray();
        Parameter[] library = Copy(), ours = Copy();
        var libraryOptimizer = makeLibrary(library);
        var ourOptimizer = makeOurs(ours);

        for (int step = 0; step < 6; step++)
        {
            OptimizerFactory.SetHyperParameters(libraryOptimizer, Lr * (step + 1), Momentum - 0.01 * step);
            OptimizerFactory.SetHyperParameters(ourOptimizer, Lr * (step + 1), Momentum - 0.01 * step);
            for (int i = 0; i < initial.Length; i++)
            {
                var grad = i == 3 && step % 2 == 1 ? null : randn(initial[i].shape);
                library[i].grad = grad?.clone();
                ours[i].grad = grad?.clone();
            }
            libraryOptimizer.step();
            ourOptimizer.step();
        }

        for (int i = 0; i < initial.Length; i++)
        {
            Assert.False(Same(library[i], initial[i]), $"parameter {i} must have moved");
            Assert.True(Same(ours[i], library[i]), $"parameter {i} differs from TorchSharp's step");
        }
        return (libraryOptimizer, ourOptimizer);
    }

    /// <summary>Bit for bit: the same shape and every element equal.</summary>
    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();
}
