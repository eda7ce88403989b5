using Pipeline.Data;
using Pipeline.Experiments;
using Pipeline.Inference;
using Pipeline.Models;
using Pipeline.Onnx.Protos;
using static Pipeline.Onnx.GraphBuilder;

namespace Pipeline.Onnx;

/// <summary>
/// Writes a <see cref="ResNet"/> as an ONNX graph: preprocessing (centre crop, scale, normalise), the network
/// as <see cref="ResNet.ForwardFeatures"/> and <see cref="ResNet.ForwardHead"/> compute it in eval mode,
/// and softmax. Nodes are named after the flavour's modules (<c>layer1.0.act2</c> for timm,
/// <c>layer1.0.relu_1</c> for torchvision's second use of its one <c>relu</c>), initializers after PyTorch's
/// parameter names.
/// </summary>
internal static class ResNetGraph
{
    /// <summary>
    /// Opset 17 (ONNX 1.12, 2022): later opsets changed none of the ops used here for float32 (they only added
    /// element types), ONNX Runtime has run opset 17 since 1.12, and Netron and the <c>onnx</c> checker read it.
    /// </summary>
    public const int Opset = 17;

    /// <summary>IR version 8, the one ONNX 1.12 introduced with opset 17: the oldest that allows it.</summary>
    public const int IrVersion = 8;

    public const string BatchDimension = "batch";
    public const string ProducerName = "Pipeline";

    /// <param name="int8">Calibrated activation ranges: write the int8 QDQ graph (see <see cref="ActivationRanges"/>; needs folding).</param>
    /// <param name="observed">When given, the float graph exposes every activation int8 would quantize as an output, and their names are added here.</param>
    public static ModelProto Build(ResNet model, ModelMetadata metadata, bool foldBatchNorm, string source,
        ActivationRanges? int8 = null, List<string>? observed = null)
    {
        var config = model.Config;
        var weights = ModelWeights.Read(model, source);
        var writer = new Writer(new GraphBuilder(GraphName(config)), weights, foldBatchNorm, int8, observed);
        var g = writer.Graph;

        g.Input(ModelMetadata.InputName, [1, 3, metadata.InputHeight, metadata.InputWidth], BatchDimension);
        string x = writer.Activation(Preprocess(g, metadata));

        // The stem and the blocks as the model's layout describes them, nodes named after the flavour's modules.
        var layout = model.Layout;
        var (stemActivation, branchActivations, outputActivation) = ResNetLayout.ActivationNames(config.Flavour, layout.Kind);
        x = writer.ConvBatchNorm("conv1", "bn1", x, layout.StemConv);
        x = writer.Activation(g.Node("Relu", stemActivation, [x]));
        // Max pooling commutes with a monotonic quantization: same parameters on both sides, so it runs on uint8.
        x = writer.Activation(g.Node("MaxPool", "maxpool", [x], attributes: [Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1)]), sameAs: x);

        foreach (var block in layout.Blocks)
        {
            string p = block.Name;
            string shortcut = x;
            var y = x;
            var convs = block.BranchConvs;
            for (int i = 0; i < convs.Count; i++)
            {
                y = writer.ConvBatchNorm($"{p}.conv{i + 1}", $"{p}.bn{i + 1}", y, convs[i]);
                y = writer.Activation(i < branchActivations.Count ? g.Node("Relu", $"{p}.{branchActivations[i]}", [y]) : y);
            }
            if (block.ShortcutConv is { } projection)
                shortcut = writer.Activation(writer.ConvBatchNorm($"{p}.downsample.0", $"{p}.downsample.1", x, projection));
            y = g.Node("Add", $"{p}.add", [y, shortcut]);
            x = writer.Activation(g.Node("Relu", $"{p}.{outputActivation}", [y]));
        }

        string logits = config.Head == HeadKind.Fastai
            ? writer.WriteFastaiHead(x, layout.Features, config.NumClasses)
            : writer.WriteLibraryHead(x, layout.Features, config.NumClasses, config.Flavour == ResNetFlavour.Timm);
        g.Node("Softmax", "softmax", [logits], ModelMetadata.ProbabilitiesName, attributes: Int("axis", 1));
        g.Output(ModelMetadata.LogitsName, [1, config.NumClasses], BatchDimension);
        g.Output(ModelMetadata.ProbabilitiesName, [1, config.NumClasses], BatchDimension);
        weights.EnsureAllUsed();

        var proto = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = ProducerName,
            ProducerVersion = metadata.ProjectVersion,
            DocString = DocString(config, metadata, foldBatchNorm),
            Graph = g.Graph,
        };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (key, value) in metadata.ToProperties().OrderBy(kv => kv.Key, StringComparer.Ordinal))
            proto.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return proto;
    }

    public static string GraphName(ResNetConfig c) =>
        $"{c.Arch.Name()}_{c.Flavour.ToString().ToLowerInvariant()}_{(c.ZeroInitLast ? "zeroinit" : "nozeroinit")}_{c.Head.ToString().ToLowerInvariant()}";

    private static string DocString(ResNetConfig c, ModelMetadata m, bool folded) =>
        $"{c.Arch} ({c.Flavour}, zero-init-last {(c.ZeroInitLast ? "on" : "off")}, {c.Head} head), {c.NumClasses} classes. " +
        $"Input '{ModelMetadata.InputName}': float32 [batch, 3, {m.InputHeight}, {m.InputWidth}], planar RGB in 0..255; the graph " +
        $"centre-crops to {m.CropSize}, scales to 0..1 and normalises. Outputs '{ModelMetadata.LogitsName}' and " +
        $"'{ModelMetadata.ProbabilitiesName}'. BatchNorm {(folded ? "folded into the convolutions and linears" : "kept as BatchNormalization nodes")}. " +
        (m.Quantization.Length > 0 ? $"Quantized: {m.Quantization}. " : "") +
        "Classes, preprocessing and provenance: metadata_props (pipeline.*).";

    /// <summary>
    /// pixels [N,3,H,W] in 0..255 → centre crop (Slice) → x·(1/(255·std)) + (−mean/std), per channel: the
    /// scaling to 0..1 and the normalisation folded into one Mul and one Add (the Add left out when the mean is 0).
    /// </summary>
    private static string Preprocess(GraphBuilder g, ModelMetadata m)
    {
        string x = ModelMetadata.InputName;
        int crop = m.CropSize;
        if (crop < m.InputHeight || crop < m.InputWidth)
        {
            long top = CenterCrop.Offset(m.InputHeight, crop), left = CenterCrop.Offset(m.InputWidth, crop);
            var starts = g.Initializer("preprocess.crop.starts", [top, left], [2]);
            var ends = g.Initializer("preprocess.crop.ends", [top + crop, left + crop], [2]);
            var axes = g.Initializer("preprocess.crop.axes", [2L, 3L], [2]);
            x = g.Node("Slice", "preprocess.crop", [x, starts, ends, axes]);
        }

        var scale = new float[3];
        var shift = new float[3];
        for (int c = 0; c < 3; c++)
        {
            scale[c] = (float)(1.0 / (255.0 * m.Std[c]));
            shift[c] = (float)(-m.Mean[c] / m.Std[c]);
        }
        x = g.Node("Mul", "preprocess.scale", [x, g.Initializer("preprocess.scale.factor", scale, [1, 3, 1, 1])]);
        if (shift.Any(v => v != 0f))
            x = g.Node("Add", "preprocess.normalize", [x, g.Initializer("preprocess.normalize.shift", shift, [1, 3, 1, 1])]);
        return x;
    }

    /// <summary>Emits the layers, reading each one's tensors from <see cref="ModelWeights"/> by PyTorch name.</summary>
    private sealed class Writer(GraphBuilder graph, ModelWeights weights, bool fold, ActivationRanges? int8, List<string>? observed)
    {
        /// <summary>uint8 parameters of each quantized activation, by the name of its DequantizeLinear output.</summary>
        private readonly Dictionary<string, (float Scale, byte ZeroPoint)> _quantized = new(StringComparer.Ordinal);

        public GraphBuilder Graph { get; } = graph;

        /// <summary>
        /// An activation int8 runs in uint8: for calibration exposed as an output; for int8 passed through
        /// QuantizeLinear → DequantizeLinear with its calibrated parameters (or, with <paramref name="sameAs"/>,
        /// those of another quantized activation); otherwise returned as it is.
        /// </summary>
        public string Activation(string tensor, string? sameAs = null)
        {
            if (observed is not null && sameAs is null)
            {
                Graph.Output(tensor);
                observed.Add(tensor);
            }
            if (int8 is null)
                return tensor;
            var (scale, zeroPoint) = sameAs is null ? int8.UInt8Parameters(tensor) : _quantized[sameAs];
            string s = Graph.Initializer($"{tensor}.scale", new[] { scale }, []);
            string z = Graph.Initializer($"{tensor}.zero_point", new[] { zeroPoint }, []);
            string q = Graph.Node("QuantizeLinear", $"{tensor}.quantize", [tensor, s, z], output: $"{tensor}.q");
            string dq = Graph.Node("DequantizeLinear", $"{tensor}.dequantize", [q, s, z], output: $"{tensor}.dq");
            _quantized[dq] = (scale, zeroPoint);
            return dq;
        }

        /// <summary>
        /// Conv (no bias) followed by BatchNorm2d. Folded: one Conv with W′[o] = W[o]·s[o] and bias b′ = β − μ·s,
        /// s = γ/√(σ²+ε), computed in double; unfolded: Conv then BatchNormalization with the four tensors as they are.
        /// </summary>
        public string ConvBatchNorm(string conv, string bn, string input, ConvLayout layout)
        {
            long inChannels = layout.InChannels, outChannels = layout.OutChannels, kernel = layout.Kernel, stride = layout.Stride;
            var w = weights.Take($"{conv}.weight", outChannels, inChannels, kernel, kernel);
            var norm = weights.TakeBatchNorm(bn, outChannels);
            long pad = kernel / 2;
            AttributeProto[] attributes =
                [Ints("kernel_shape", kernel, kernel), Ints("strides", stride, stride), Ints("pads", pad, pad, pad, pad)];
            if (fold)
            {
                var (scale, shift) = norm.Affine();
                int perChannel = (int)(inChannels * kernel * kernel);
                var folded = new float[w.Data.Length];
                for (int i = 0; i < folded.Length; i++)
                    folded[i] = (float)(w.Data[i] * scale[i / perChannel]);
                string doc = $"{conv} with {bn} folded in";
                var (wf, bf) = int8 is null
                    ? (Graph.Initializer($"{conv}.weight", folded, w.Shape, doc), Graph.Initializer($"{conv}.bias", ToFloat(shift), [outChannels], doc))
                    : QuantizedWeights(conv, input, folded, shift, w.Shape);
                return Graph.Node("Conv", conv, [input, wf, bf], output: bn, doc: doc, attributes: attributes);
            }
            if (int8 is not null)
                throw new InvalidOperationException("int8 export needs BatchNorm folded into the convolutions.");

            var y = Graph.Node("Conv", conv, [input, Graph.Initializer($"{conv}.weight", w.Data, w.Shape)], attributes: attributes);
            return BatchNormalization(bn, y, norm);
        }

        /// <summary>
        /// A folded conv's weights as int8 (per output channel) and its bias as int32 at the input's scale × each
        /// channel's weight scale, each behind a DequantizeLinear: ONNX Runtime's QDQ form of QLinearConv.
        /// </summary>
        private (string Weight, string Bias) QuantizedWeights(string conv, string input, float[] weight, double[] bias, long[] shape)
        {
            if (!_quantized.TryGetValue(input, out var x))
                throw new InvalidOperationException($"{conv}: its input '{input}' is not a quantized activation.");
            int outChannels = (int)shape[0];
            var (wq, wScales) = ActivationRanges.QuantizeWeights(weight, outChannels);
            var bq = new int[outChannels];
            var bScales = new float[outChannels];
            for (int o = 0; o < outChannels; o++)
            {
                bScales[o] = x.Scale * wScales[o];
                bq[o] = (int)Math.Clamp(Math.Round(bias[o] / bScales[o]), int.MinValue, int.MaxValue);
            }
            var perChannel = Int("axis", 0);
            string w = Graph.Node("DequantizeLinear", $"{conv}.weight_dequantize",
                [Graph.Initializer($"{conv}.weight_quantized", wq, shape), Graph.Initializer($"{conv}.weight_scale", wScales, [outChannels]),
                 Graph.Initializer($"{conv}.weight_zero_point", new sbyte[outChannels], [outChannels])],
                output: $"{conv}.weight", attributes: perChannel);
            string b = Graph.Node("DequantizeLinear", $"{conv}.bias_dequantize",
                [Graph.Initializer($"{conv}.bias_quantized", bq, [outChannels]), Graph.Initializer($"{conv}.bias_scale", bScales, [outChannels]),
                 Graph.Initializer($"{conv}.bias_zero_point", new int[outChannels], [outChannels])],
                output: $"{conv}.bias", attributes: perChannel);
            return (w, b);
        }

        /// <summary>Each library's head: global average pool, flatten, <c>fc</c> (Gemm with bias).</summary>
        public string WriteLibraryHead(string features, long numFeatures, long numClasses, bool timm)
        {
            string pooled = Graph.Node("GlobalAveragePool", timm ? "global_pool.pool" : "avgpool", [features]);
            string flat = Graph.Node("Flatten", timm ? "global_pool.flatten" : "flatten", [pooled], attributes: Int("axis", 1));
            var w = weights.Take("fc.weight", numClasses, numFeatures);
            var b = weights.Take("fc.bias", numClasses);
            return Graph.Node("Gemm", "fc",
                [flat, Graph.Initializer("fc.weight", w.Data, w.Shape), Graph.Initializer("fc.bias", b.Data, b.Shape)],
                output: ModelMetadata.LogitsName, attributes: Int("transB", 1));
        }

        /// <summary>
        /// fastai's head (dropouts are the identity in eval mode, so they are left out). Folded, each BatchNorm1d
        /// goes into the Linear after it: W·(s⊙x + t) = (W·diag(s))·x + W·t, so the bias-free Linear gets a bias.
        /// </summary>
        public string WriteFastaiHead(string features, long numFeatures, long numClasses)
        {
            long nf = 2 * numFeatures, hidden = FastaiHead.HiddenFeatures;
            string mp = Graph.Node("GlobalMaxPool", "head.0.mp", [features]);
            string ap = Graph.Node("GlobalAveragePool", "head.0.ap", [features]);
            string cat = Graph.Node("Concat", "head.0", [mp, ap], attributes: Int("axis", 1)); // max first, as fastai
            string x = Graph.Node("Flatten", "head.1", [cat], attributes: Int("axis", 1));
            x = NormThenLinear("head.2", "head.4", x, nf, hidden, output: null);
            x = Graph.Node("Relu", "head.5", [x]);
            return NormThenLinear("head.6", "head.8", x, hidden, numClasses, output: ModelMetadata.LogitsName);
        }

        private string NormThenLinear(string bn, string linear, string input, long inFeatures, long outFeatures, string? output)
        {
            var norm = weights.TakeBatchNorm(bn, inFeatures);
            var w = weights.Take($"{linear}.weight", outFeatures, inFeatures);
            var transB = Int("transB", 1);
            if (!fold)
            {
                string y = BatchNormalization(bn, input, norm);
                return Graph.Node("Gemm", linear, [y, Graph.Initializer($"{linear}.weight", w.Data, w.Shape)], output, attributes: transB);
            }

            var (scale, shift) = norm.Affine();
            var folded = new float[w.Data.Length];
            var bias = new double[outFeatures];
            for (long o = 0; o < outFeatures; o++)
            {
                for (long i = 0; i < inFeatures; i++)
                {
                    double wi = w.Data[(o * inFeatures) + i];
                    folded[(o * inFeatures) + i] = (float)(wi * scale[i]);
                    bias[o] += wi * shift[i];
                }
            }
            string doc = $"{bn} folded into {linear}";
            var wf = Graph.Initializer($"{linear}.weight", folded, w.Shape, doc);
            var bf = Graph.Initializer($"{linear}.bias", ToFloat(bias), [outFeatures], doc);
            return Graph.Node("Gemm", linear, [input, wf, bf], output, doc, transB);
        }

        private string BatchNormalization(string name, string input, BatchNormWeights norm)
        {
            long c = norm.Gamma.Length;
            return Graph.Node("BatchNormalization", name,
                [
                    input,
                    Graph.Initializer($"{name}.weight", norm.Gamma, [c]),
                    Graph.Initializer($"{name}.bias", norm.Beta, [c]),
                    Graph.Initializer($"{name}.running_mean", norm.Mean, [c]),
                    Graph.Initializer($"{name}.running_var", norm.Var, [c]),
                ],
                attributes: Float("epsilon", (float)norm.Eps));
        }

        private static float[] ToFloat(double[] values) => Array.ConvertAll(values, v => (float)v);
    }
}
