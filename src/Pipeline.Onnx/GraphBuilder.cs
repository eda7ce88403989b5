using System.Runtime.InteropServices;
using Google.Protobuf;
using Pipeline.Onnx.Protos;

namespace Pipeline.Onnx;

/// <summary>
/// Appends nodes, initializers and graph inputs/outputs to an ONNX <see cref="GraphProto"/>, in the order they
/// are added (which is what makes two exports of the same weights byte-identical).
/// </summary>
internal sealed class GraphBuilder
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    public GraphProto Graph { get; }

    public GraphBuilder(string name) => Graph = new GraphProto { Name = name };

    /// <summary>A float32 initializer, stored as little-endian raw_data as ONNX requires.</summary>
    public string Initializer(string name, ReadOnlySpan<float> data, long[] dims, string? doc = null) =>
        AddInitializer(name, TensorProto.Types.DataType.Float, dims, LittleEndian(name, data, dims), doc);

    /// <summary>An int64 initializer (Slice's starts, ends and axes).</summary>
    public string Initializer(string name, ReadOnlySpan<long> data, long[] dims) =>
        AddInitializer(name, TensorProto.Types.DataType.Int64, dims, LittleEndian(name, data, dims), doc: null);

    /// <summary>An int32 initializer (quantized biases).</summary>
    public string Initializer(string name, ReadOnlySpan<int> data, long[] dims) =>
        AddInitializer(name, TensorProto.Types.DataType.Int32, dims, LittleEndian(name, data, dims), doc: null);

    /// <summary>An int8 initializer (quantized weights).</summary>
    public string Initializer(string name, ReadOnlySpan<sbyte> data, long[] dims) =>
        AddInitializer(name, TensorProto.Types.DataType.Int8, dims, LittleEndian(name, data, dims), doc: null);

    /// <summary>A uint8 initializer (activation zero points).</summary>
    public string Initializer(string name, ReadOnlySpan<byte> data, long[] dims) =>
        AddInitializer(name, TensorProto.Types.DataType.Uint8, dims, LittleEndian(name, data, dims), doc: null);

    /// <summary>The values as ONNX's raw_data: little-endian, whatever the machine.</summary>
    private static byte[] LittleEndian<T>(string name, ReadOnlySpan<T> data, long[] dims) where T : unmanaged
    {
        CheckCount(name, data.Length, dims);
        var bytes = MemoryMarshal.AsBytes(data).ToArray();
        int width = bytes.Length / Math.Max(data.Length, 1);
        if (!BitConverter.IsLittleEndian && width > 1)
        {
            for (int i = 0; i < bytes.Length; i += width)
                bytes.AsSpan(i, width).Reverse();
        }
        return bytes;
    }

    /// <summary>Adds one node whose single output is named <paramref name="output"/> (default: the node's name).</summary>
    public string Node(string opType, string name, IEnumerable<string> inputs, string? output = null, string? doc = null,
        params AttributeProto[] attributes)
    {
        output ??= name;
        Claim(output);
        var node = new NodeProto { OpType = opType, Name = name };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        if (doc is not null)
            node.DocString = doc;
        Graph.Node.Add(node);
        return output;
    }

    public void Input(string name, long[] shape, string? batchDimension) => Graph.Input.Add(FloatTensorInfo(name, shape, batchDimension));

    public void Output(string name, long[] shape, string? batchDimension) => Graph.Output.Add(FloatTensorInfo(name, shape, batchDimension));

    /// <summary>An extra float output of any shape: an intermediate tensor exposed for calibration.</summary>
    public void Output(string name) => Graph.Output.Add(new ValueInfoProto
    {
        Name = name,
        Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
    });

    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    /// <summary>A float32 tensor type whose first dimension is symbolic when <paramref name="batchDimension"/> is given.</summary>
    private static ValueInfoProto FloatTensorInfo(string name, long[] shape, string? batchDimension)
    {
        var tensorShape = new TensorShapeProto();
        for (int i = 0; i < shape.Length; i++)
        {
            tensorShape.Dim.Add(i == 0 && batchDimension is not null
                ? new TensorShapeProto.Types.Dimension { DimParam = batchDimension }
                : new TensorShapeProto.Types.Dimension { DimValue = shape[i] });
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto
            {
                TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = tensorShape },
            },
        };
    }

    private string AddInitializer(string name, TensorProto.Types.DataType type, long[] dims, byte[] rawData, string? doc)
    {
        Claim(name);
        var t = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(rawData) };
        t.Dims.AddRange(dims);
        if (doc is not null)
            t.DocString = doc;
        Graph.Initializer.Add(t);
        return name;
    }

    private static void CheckCount(string name, int count, long[] dims)
    {
        long expected = dims.Aggregate(1L, (a, d) => a * d);
        if (expected != count)
            throw new InvalidOperationException($"Initializer '{name}': {count} values for dims [{string.Join(", ", dims)}].");
    }

    private void Claim(string valueName)
    {
        if (!_names.Add(valueName))
            throw new InvalidOperationException($"ONNX value name '{valueName}' is defined twice.");
    }
}
