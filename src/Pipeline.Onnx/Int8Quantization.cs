using Microsoft.ML.OnnxRuntime;
using Pipeline.Inference;
using ModelMetadata = Pipeline.Inference.ModelMetadata;

namespace Pipeline.Onnx;

/// <summary>
/// Images to calibrate an int8 export with: preprocessed as the graph's input (planar RGB floats in 0..255,
/// [Count, 3, InputHeight, InputWidth]), taken from the training split, never from the images the model is evaluated on.
/// </summary>
public sealed record Int8Calibration(float[] Pixels, int Count, string Description);

/// <summary>
/// Post-training static int8 quantization in ONNX's QDQ form, the form ONNX Runtime turns into its integer
/// kernels (QLinearConv and QLinearAdd on VNNI / AVX-512 where the CPU has them): every convolution's input and
/// output and every residual sum pass through QuantizeLinear → DequantizeLinear with a uint8 scale and zero point
/// calibrated on real images (min/max, so nothing seen in calibration is clipped); conv weights are int8,
/// symmetric, one scale per output channel; biases int32 at the input scale × weight scale. The stem's input
/// normalisation and the head stay float32. Calibration runs the float graph with every such activation
/// exposed as an output (<see cref="ActivationRanges.Measure"/>).
/// </summary>
internal sealed class ActivationRanges
{
    private readonly Dictionary<string, (float Min, float Max)> _ranges;

    private ActivationRanges(Dictionary<string, (float Min, float Max)> ranges, string description)
    {
        _ranges = ranges;
        Description = description;
    }

    public string Description { get; }

    public (float Min, float Max) this[string tensor] => _ranges.TryGetValue(tensor, out var r)
        ? r
        : throw new InvalidOperationException($"No calibrated range for activation '{tensor}'.");

    /// <summary>Runs the observing graph (float, activations exposed) on the calibration images and keeps each activation's min and max.</summary>
    public static ActivationRanges Measure(byte[] observingModel, IReadOnlyList<string> activations, Int8Calibration calibration, int height, int width)
    {
        int imageFloats = 3 * height * width;
        if (calibration.Count < 1 || calibration.Pixels.Length != calibration.Count * imageFloats)
            throw new ArgumentException($"Calibration needs {calibration.Count} × 3×{height}×{width} floats, not {calibration.Pixels.Length}.", nameof(calibration));
        var ranges = activations.ToDictionary(a => a, _ => (Min: float.PositiveInfinity, Max: float.NegativeInfinity), StringComparer.Ordinal);
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC };
        using var session = new InferenceSession(observingModel, options);
        using var runOptions = new RunOptions();
        const int batch = 32;
        for (int start = 0; start < calibration.Count; start += batch)
        {
            int n = Math.Min(batch, calibration.Count - start);
            var pixels = calibration.Pixels.AsMemory(start * imageFloats, n * imageFloats);
            using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, pixels, [n, 3, height, width]);
            using var outputs = session.Run(runOptions, [ModelMetadata.InputName], [input], [.. activations]);
            for (int i = 0; i < activations.Count; i++)
            {
                var (min, max) = ranges[activations[i]];
                foreach (float v in outputs[i].GetTensorDataAsSpan<float>())
                {
                    if (v < min) min = v;
                    if (v > max) max = v;
                }
                ranges[activations[i]] = (min, max);
            }
        }
        return new ActivationRanges(ranges,
            $"int8 (QDQ): uint8 activations calibrated by min/max on {calibration.Count} images ({calibration.Description}), int8 per-channel conv weights, int32 biases; stem input normalisation and head in float32");
    }

    /// <summary>uint8 scale and zero point covering [min, max] and 0 (so zero, ReLU's floor and padding, is exact).</summary>
    public (float Scale, byte ZeroPoint) UInt8Parameters(string tensor)
    {
        var (min, max) = this[tensor];
        float lo = Math.Min(min, 0f), hi = Math.Max(max, 0f);
        float scale = hi > lo ? (hi - lo) / 255f : 1f;
        return (scale, (byte)Math.Clamp(MathF.Round(-lo / scale), 0, 255));
    }

    /// <summary>Symmetric int8 per output channel (axis 0): w ≈ q · scale[o], q in −127..127.</summary>
    public static (sbyte[] Quantized, float[] Scales) QuantizeWeights(ReadOnlySpan<float> weights, int outChannels)
    {
        int perChannel = weights.Length / outChannels;
        var quantized = new sbyte[weights.Length];
        var scales = new float[outChannels];
        for (int o = 0; o < outChannels; o++)
        {
            var w = weights.Slice(o * perChannel, perChannel);
            float absMax = 0;
            foreach (float v in w)
                absMax = Math.Max(absMax, Math.Abs(v));
            float scale = absMax > 0 ? absMax / 127f : 1f;
            scales[o] = scale;
            for (int i = 0; i < perChannel; i++)
                quantized[(o * perChannel) + i] = (sbyte)Math.Clamp(MathF.Round(w[i] / scale), -127, 127);
        }
        return (quantized, scales);
    }
}
