using Pipeline.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Onnx;

/// <summary>One tensor of the model's state, copied out of TorchSharp.</summary>
internal sealed record WeightTensor(string Name, float[] Data, long[] Shape);

/// <summary>
/// The model's parameters and BatchNorm statistics, copied to managed arrays once and checked: every value
/// finite, every running variance non-negative. The graph writer takes them by PyTorch name; at the end,
/// <see cref="EnsureAllUsed"/> proves that the graph used every tensor the model has, so a model whose state
/// the writer does not know cannot be exported silently wrong.
/// </summary>
internal sealed class ModelWeights
{
    private readonly Dictionary<string, WeightTensor> _tensors;
    private readonly Dictionary<string, double> _batchNormEps;
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);
    private readonly string _source;

    private ModelWeights(Dictionary<string, WeightTensor> tensors, Dictionary<string, double> batchNormEps, string source)
    {
        _tensors = tensors;
        _batchNormEps = batchNormEps;
        _source = source;
    }

    /// <param name="source">Names the export in error messages (the target file).</param>
    public static ModelWeights Read(ResNet model, string source)
    {
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, WeightTensor>(StringComparer.Ordinal);
        var bad = new List<string>();
        foreach (var (name, tensor) in model.state_dict())
        {
            if (name.EndsWith(".num_batches_tracked", StringComparison.Ordinal))
                continue; // a training counter: inference does not use it
            var values = tensor.detach().cpu().to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
            int nonFinite = values.Count(v => !float.IsFinite(v));
            if (nonFinite > 0)
                bad.Add($"{name} ({nonFinite} of {values.Length} values NaN or infinite)");
            else if (name.EndsWith(".running_var", StringComparison.Ordinal) && values.Any(v => v < 0))
                bad.Add($"{name} (negative variance)");
            tensors[name] = new WeightTensor(name, values, tensor.shape);
        }
        if (bad.Count > 0)
        {
            throw new OnnxExportException(
                $"{source}: the model's weights are not usable, nothing was written. {bad.Count} tensor(s) are broken: " +
                string.Join("; ", bad.Take(5)) + (bad.Count > 5 ? "; ..." : "") +
                ". The checkpoint is corrupt or training diverged: export an earlier checkpoint.");
        }

        var eps = model.named_modules()
            .Where(m => m.module is BatchNorm)
            .ToDictionary(m => m.name, m => ((NormBase)m.module).eps, StringComparer.Ordinal);
        return new ModelWeights(tensors, eps, source);
    }

    /// <summary>The tensor named <paramref name="name"/>, with the shape the graph writer expects.</summary>
    public WeightTensor Take(string name, params long[] expectedShape)
    {
        if (!_tensors.TryGetValue(name, out var t))
            throw new OnnxExportException($"{_source}: the model has no tensor '{name}': it is not the ResNet this exporter writes.");
        if (!t.Shape.SequenceEqual(expectedShape))
        {
            throw new OnnxExportException(
                $"{_source}: tensor '{name}' has shape [{string.Join(", ", t.Shape)}], expected [{string.Join(", ", expectedShape)}].");
        }
        _used.Add(name);
        return t;
    }

    /// <summary>γ, β, running mean and variance, and ε of the BatchNorm module <paramref name="module"/>.</summary>
    public BatchNormWeights TakeBatchNorm(string module, long channels) => new(
        Take(module + ".weight", channels).Data,
        Take(module + ".bias", channels).Data,
        Take(module + ".running_mean", channels).Data,
        Take(module + ".running_var", channels).Data,
        _batchNormEps.TryGetValue(module, out double eps) ? eps
            : throw new OnnxExportException($"{_source}: '{module}' is not a BatchNorm module of the model."));

    public void EnsureAllUsed()
    {
        var unused = _tensors.Keys.Where(k => !_used.Contains(k)).ToList();
        if (unused.Count > 0)
        {
            throw new OnnxExportException(
                $"{_source}: the model has tensors the ONNX graph would leave out ({string.Join(", ", unused.Take(5))}" +
                $"{(unused.Count > 5 ? ", ..." : "")}): it is not the ResNet this exporter writes.");
        }
    }
}

/// <summary>A BatchNorm's four tensors and its ε, and the per-channel affine map they make in eval mode.</summary>
internal sealed record BatchNormWeights(float[] Gamma, float[] Beta, float[] Mean, float[] Var, double Eps)
{
    /// <summary>Eval-mode BatchNorm is y = scale·x + shift, per channel, with scale = γ/√(σ²+ε), shift = β − μ·scale.</summary>
    public (double[] Scale, double[] Shift) Affine()
    {
        var scale = new double[Gamma.Length];
        var shift = new double[Gamma.Length];
        for (int c = 0; c < Gamma.Length; c++)
        {
            scale[c] = Gamma[c] / Math.Sqrt((double)Var[c] + Eps);
            shift[c] = Beta[c] - (Mean[c] * scale[c]);
        }
        return (scale, shift);
    }
}
