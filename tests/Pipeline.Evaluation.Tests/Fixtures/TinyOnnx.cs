using System.Text;
using Pipeline.Inference;

namespace Pipeline.Evaluation.Tests.Fixtures;

/// <summary>
/// Writes tiny but real ONNX classifiers for test fixtures, with the project's metadata contract:
/// <c>pixels [batch,3,H,W] → ReduceMean(H,W) → MatMul W[3,C] → Add b → logits → Softmax → probabilities</c>.
/// The class therefore depends only on the image's mean colour, which lets a test predict every
/// output by hand. Encoded directly as protobuf (field numbers from onnx.proto), so the evaluation
/// tests need neither TorchSharp nor the exporter.
/// </summary>
public static class TinyOnnx
{
    /// <summary>Graph input dims: null means a symbolic dimension ("batch").</summary>
    public static void Write(
        string path,
        int classes,
        float[] weights,
        float[] bias,
        IReadOnlyDictionary<string, string>? metadata,
        long?[]? inputDims = null,
        string inputName = ModelMetadata.InputName)
    {
        if (weights.Length != 3 * classes || bias.Length != classes)
            throw new ArgumentException("weights must be [3, classes] and bias [classes].");
        inputDims ??= [null, 3, null, null];

        var graph = new Pb()
            .Message(1, Node("ReduceMean", [inputName], ["mean"], new Pb().String(1, "axes").Ints(8, [2, 3]).Int(20, 7),
                new Pb().String(1, "keepdims").Int(3, 0).Int(20, 2)))
            .Message(1, Node("MatMul", ["mean", "W"], ["mm"]))
            .Message(1, Node("Add", ["mm", "b"], [ModelMetadata.LogitsName]))
            .Message(1, Node("Softmax", [ModelMetadata.LogitsName], [ModelMetadata.ProbabilitiesName],
                new Pb().String(1, "axis").Int(3, 1).Int(20, 2)))
            .String(2, "tiny")
            .Message(5, FloatTensor("W", [3, classes], weights))
            .Message(5, FloatTensor("b", [classes], bias))
            .Message(11, ValueInfo(inputName, inputDims))
            .Message(12, ValueInfo(ModelMetadata.LogitsName, [null, classes]))
            .Message(12, ValueInfo(ModelMetadata.ProbabilitiesName, [null, classes]));

        var model = new Pb()
            .Int(1, 8) // ir_version
            .String(2, "Pipeline.Evaluation.Tests")
            .Message(7, graph)
            .Message(8, new Pb().String(1, "").Int(2, 13)); // opset_import: ai.onnx 13
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>())
            model.Message(14, new Pb().String(1, key).String(2, value));
        File.WriteAllBytes(path, model.ToArray());
    }

    /// <summary>
    /// Weights that make class k win for an image whose mean colour is <paramref name="colours"/>[k]:
    /// logit_k = c_k · (m - c_k/2) (nearest-colour rule), scaled small enough to keep softmax away from 0/1.
    /// </summary>
    public static (float[] Weights, float[] Bias) NearestColour(IReadOnlyList<(float R, float G, float B)> colours, float scale = 1e-4f)
    {
        int c = colours.Count;
        var w = new float[3 * c];
        var b = new float[c];
        for (int k = 0; k < c; k++)
        {
            var (r, g, bl) = colours[k];
            w[0 * c + k] = scale * r;
            w[1 * c + k] = scale * g;
            w[2 * c + k] = scale * bl;
            b[k] = -scale * (r * r + g * g + bl * bl) / 2;
        }
        return (w, b);
    }

    private static Pb Node(string op, string[] inputs, string[] outputs, params Pb[] attributes)
    {
        var n = new Pb();
        foreach (var i in inputs) n.String(1, i);
        foreach (var o in outputs) n.String(2, o);
        n.String(4, op);
        foreach (var a in attributes) n.Message(5, a);
        return n;
    }

    private static Pb FloatTensor(string name, long[] dims, float[] values)
    {
        var t = new Pb();
        foreach (var d in dims) t.Int(1, d);
        return t.Int(2, 1).Floats(4, values).String(8, name);
    }

    private static Pb ValueInfo(string name, long?[] dims)
    {
        var shape = new Pb();
        foreach (var d in dims)
            shape.Message(1, d is { } v ? new Pb().Int(1, v) : new Pb().String(2, "batch"));
        var tensor = new Pb().Int(1, 1).Message(2, shape);
        return new Pb().String(1, name).Message(2, new Pb().Message(1, tensor));
    }

    /// <summary>A minimal protobuf writer: varints, length-delimited fields, packed repeats.</summary>
    private sealed class Pb
    {
        private readonly MemoryStream _ms = new();

        public byte[] ToArray() => _ms.ToArray();

        private void Varint(ulong v)
        {
            while (v >= 0x80) { _ms.WriteByte((byte)(v | 0x80)); v >>= 7; }
            _ms.WriteByte((byte)v);
        }

        private void Key(int field, int wire) => Varint((ulong)((field << 3) | wire));

        public Pb Int(int field, long v) { Key(field, 0); Varint((ulong)v); return this; }

        public Pb Bytes(int field, byte[] b) { Key(field, 2); Varint((ulong)b.Length); _ms.Write(b); return this; }

        public Pb String(int field, string s) => Bytes(field, Encoding.UTF8.GetBytes(s));

        public Pb Message(int field, Pb m) => Bytes(field, m.ToArray());

        public Pb Floats(int field, float[] values)
        {
            var b = new byte[values.Length * 4];
            Buffer.BlockCopy(values, 0, b, 0, b.Length);
            return Bytes(field, b);
        }

        public Pb Ints(int field, long[] values)
        {
            var inner = new Pb();
            foreach (var v in values) inner.Varint((ulong)v);
            return Bytes(field, inner.ToArray());
        }
    }
}
