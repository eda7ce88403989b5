using System.Diagnostics;
using Pipeline.Experiments;
using Pipeline.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Training;

/// <summary>
/// Watches the residual branches wake up during training: reads every block on a fixed probe batch at
/// initialisation, at a few points of the first epoch (where zero-init and default init differ most) and at the
/// end of every epoch, and the gradient norm per parameter group over the first steps. Reading never changes
/// training: eval mode leaves BatchNorm statistics alone and nothing here draws random numbers.
/// </summary>
internal sealed class DynamicsProbe : IDisposable
{
    /// <summary>Points of the first epoch, as fractions of its steps, where blocks are read.</summary>
    private static readonly double[] s_firstEpochFractions = [1 / 16.0, 1 / 8.0, 1 / 4.0, 1 / 2.0];

    private readonly ResNet _model;
    private readonly Tensor _input;
    private readonly long _stepsPerEpoch;
    private readonly SortedSet<long> _firstEpochPoints;
    private readonly (string Group, Parameter[] Parameters)[] _groups;
    private readonly double[] _gradSums;
    private int _gradSteps;

    /// <summary>Time spent reading blocks and gradients, for the run's cost accounting.</summary>
    public Stopwatch Clock { get; } = new();

    public DynamicsProbe(ResNet model, Tensor input, long stepsPerEpoch)
    {
        _model = model;
        _input = input;
        _stepsPerEpoch = stepsPerEpoch;
        _firstEpochPoints = new SortedSet<long>(s_firstEpochFractions
            .Select(f => Math.Max(1, (long)Math.Round(f * stepsPerEpoch)))
            .Where(s => s < stepsPerEpoch));
        _groups = model.named_parameters()
            .GroupBy(p => GroupOf(p.name), p => p.parameter)
            .Select(g => (g.Key, g.ToArray()))
            .ToArray();
        _gradSums = new double[_groups.Length];
    }

    /// <summary>stem (conv1, bn1), layer1 … layer4, head (the classifier, fastai's or the library's).</summary>
    public static string GroupOf(string parameterName)
    {
        string first = parameterName[..parameterName.IndexOf('.', StringComparison.Ordinal)];
        return first switch
        {
            "conv1" or "bn1" => "stem",
            _ when first.StartsWith("layer", StringComparison.Ordinal) => first,
            _ => "head",
        };
    }

    /// <summary>Whether the step that just ended (1-based within its epoch) is a point to read blocks at.</summary>
    public bool IsPoint(int epoch, long stepInEpoch) => epoch == 0 && _firstEpochPoints.Contains(stepInEpoch);

    /// <summary>Whether to read gradients after this step: the first epoch up to its last point, and each epoch's last step.</summary>
    public bool WantsGradients(int epoch, long stepInEpoch) =>
        (epoch == 0 && _firstEpochPoints.Count > 0 && stepInEpoch <= _firstEpochPoints.Max) || stepInEpoch == _stepsPerEpoch;

    /// <summary>Adds the gradient norm per group of the step just taken (gradients are still on the parameters).</summary>
    public void AddGradients()
    {
        Clock.Start();
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            for (int g = 0; g < _groups.Length; g++)
            {
                double squares = 0;
                foreach (var p in _groups[g].Parameters)
                {
                    if (p.grad is { } grad)
                    {
                        double n = grad.norm().item<float>();
                        squares += n * n;
                    }
                }
                _gradSums[g] += Math.Sqrt(squares);
            }
        }
        _gradSteps++;
        Clock.Stop();
    }

    /// <summary>Reads every block now (after <paramref name="globalStep"/> optimizer steps) and the gradients gathered since the last reading.</summary>
    public DynamicsRecord Read(long globalStep)
    {
        Clock.Start();
        bool wasTraining = _model.training;
        IReadOnlyList<ResidualBlockReading> blocks;
        _model.eval();
        using (var scope = NewDisposeScope())
        using (no_grad())
            blocks = _model.ReadResidualBlocks(_input);
        if (wasTraining)
            _model.train();

        Dictionary<string, double>? grads = null;
        int steps = _gradSteps;
        if (_gradSteps > 0)
        {
            grads = new Dictionary<string, double>();
            for (int g = 0; g < _groups.Length; g++)
                grads[_groups[g].Group] = _gradSums[g] / _gradSteps;
            Array.Clear(_gradSums);
            _gradSteps = 0;
        }
        Clock.Stop();
        return new DynamicsRecord(globalStep, (double)globalStep / _stepsPerEpoch, blocks, grads, steps);
    }

    public void Dispose() => _input.Dispose();
}
