using Microsoft.ML.OnnxRuntime;

namespace Pipeline.Inference;

/// <summary>
/// Opens an exported model with ONNX Runtime on the device asked for (falling back to the CPU when a
/// CUDA session does not start), and checks the file against its metadata. The one way every side
/// opens a model: the inference library keeps the session, the ML.NET evaluation uses it as its
/// up-front check. Every way a file can be unusable ends in an <see cref="InvalidModelException"/>.
/// </summary>
public static class OnnxModelFile
{
    /// <summary>A session on <paramref name="device"/>, or on the CPU when CUDA does not start; the device it runs on.</summary>
    /// <param name="path">The .onnx file.</param>
    /// <param name="device">The device asked for (<see cref="ExecutionDevice.Select"/>).</param>
    /// <param name="configure">Settings for the session (threads, optimisation level); applied on either device.</param>
    /// <exception cref="InvalidModelException">The file is missing, truncated or not ONNX.</exception>
    /// <exception cref="InvalidOperationException">No ONNX Runtime native library is installed.</exception>
    public static (InferenceSession Session, ExecutionDevice Device) Open(string path, ExecutionDevice device, Action<SessionOptions>? configure = null)
    {
        try
        {
            return OpenSession(path, device, configure);
        }
        catch (TypeInitializationException ex) when (OnnxRuntimeNative.IsMissing(ex))
        {
            throw OnnxRuntimeNative.Missing(ex);
        }
    }

    private static (InferenceSession Session, ExecutionDevice Device) OpenSession(string path, ExecutionDevice device, Action<SessionOptions>? configure)
    {
        if (!File.Exists(path))
            throw new InvalidModelException(path, "the model file does not exist. Check the path, or export one with `pipeline export <run>`.");
        if (device.GpuDeviceId is int gpu)
        {
            // The CUDA provider can load and a session still fail to start (no device, wrong driver).
            try
            {
                using var options = SessionOptions.MakeSessionOptionWithCudaProvider(gpu);
                configure?.Invoke(options);
                return (new InferenceSession(path, options), device);
            }
            catch (OnnxRuntimeException ex) when (!IsModelProblem(ex))
            {
                device = ExecutionDevice.Cpu($"a session on CUDA:{gpu} did not start: {ExecutionDevice.ShortReason(ex.Message)}");
            }
        }
        try
        {
            using var options = new SessionOptions();
            configure?.Invoke(options);
            return (new InferenceSession(path, options), device);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new InvalidModelException(path,
                $"not a readable ONNX model ({new FileInfo(path).Length:N0} bytes; ONNX Runtime: {ExecutionDevice.ShortReason(ex.Message)}). " +
                "The file is truncated or is not ONNX: export it again with the `export` command.", ex);
        }
    }

    private static bool IsModelProblem(OnnxRuntimeException ex) =>
        ex.Message.Contains("InvalidProtobuf", StringComparison.Ordinal) || ex.Message.Contains("INVALID_PROTOBUF", StringComparison.Ordinal)
        || ex.Message.Contains("InvalidGraph", StringComparison.Ordinal) || ex.Message.Contains("INVALID_GRAPH", StringComparison.Ordinal);

    /// <summary>The model's own metadata (see <see cref="ModelMetadata"/>); check it with <see cref="CheckMetadata"/>.</summary>
    /// <exception cref="InvalidModelException">It is missing or malformed.</exception>
    public static ModelMetadata ReadMetadata(InferenceSession session, string path)
    {
        IReadOnlyDictionary<string, string> properties;
        try
        {
            properties = session.ModelMetadata.CustomMetadataMap;
        }
        catch (NullReferenceException ex)
        {
            // ONNX Runtime 1.31 dereferences a null string reading a damaged file's metadata (MutationFuzzTests found one).
            throw new InvalidModelException(path, "its metadata cannot be read (the file is damaged). Export it again.", ex);
        }
        try
        {
            return ModelMetadata.FromProperties(properties, path);
        }
        catch (InvalidDataException ex)
        {
            // FromProperties names the file already.
            throw new InvalidModelException(path, ex.Message[(ex.Message.StartsWith(path + ": ", StringComparison.Ordinal) ? path.Length + 2 : 0)..], ex);
        }
    }

    /// <summary>
    /// The model's metadata, read and checked against itself and against the graph: the one check every side
    /// (the ML.NET evaluation, `validate`, the inference library) makes before it feeds the model anything.
    /// </summary>
    /// <exception cref="InvalidModelException">The metadata is missing, malformed, or disagrees with the graph.</exception>
    public static ModelMetadata ReadChecked(InferenceSession session, string path)
    {
        var metadata = ReadMetadata(session, path);
        Check(session, metadata, path);
        return metadata;
    }

    /// <summary><see cref="CheckMetadata"/> then <see cref="CheckGraph"/>: for metadata a caller gives instead of the file's own.</summary>
    /// <exception cref="InvalidModelException">The metadata cannot describe a usable model, or the graph is not what it says.</exception>
    public static void Check(InferenceSession session, ModelMetadata metadata, string path)
    {
        CheckMetadata(metadata, path);
        CheckGraph(session, metadata, path);
    }

    /// <exception cref="InvalidModelException">The metadata cannot describe a usable model.</exception>
    public static void CheckMetadata(ModelMetadata m, string path)
    {
        if (m.Classes.Count == 0)
            throw new InvalidModelException(path, "the metadata's class list (pipeline.classes) is empty.");
        var duplicate = m.Classes.GroupBy(c => c.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new InvalidModelException(path, $"class '{duplicate.Key}' appears twice in the metadata's class list.");
        if (m.InputWidth <= 0 || m.InputHeight <= 0)
            throw new InvalidModelException(path, $"metadata input size {m.InputWidth}×{m.InputHeight} is not a size.");
        if (m.PixelRange != "0-255")
        {
            throw new InvalidModelException(path,
                $"metadata pixel range '{m.PixelRange}' is not supported: the ML.NET pipeline and the inference library feed raw 0-255 pixels " +
                "(ExtractPixels without scale or offset) and expect the graph to normalise.");
        }
    }

    /// <summary>The graph's input and outputs must be what the metadata promises.</summary>
    /// <exception cref="InvalidModelException">They disagree.</exception>
    public static void CheckGraph(InferenceSession session, ModelMetadata m, string path)
    {
        if (!session.InputMetadata.TryGetValue(ModelMetadata.InputName, out var input))
        {
            throw new InvalidModelException(path,
                $"the graph has no input '{ModelMetadata.InputName}' (inputs: {string.Join(", ", session.InputMetadata.Keys)}): " +
                "it was not exported by this project; re-export it.");
        }
        int[] dims = input.Dimensions;
        bool Fits(int actual, int expected) => actual <= 0 || actual == expected; // <= 0: symbolic
        if (input.ElementType != typeof(float) || dims.Length != 4 || !Fits(dims[1], 3) || !Fits(dims[2], m.InputHeight) || !Fits(dims[3], m.InputWidth))
        {
            throw new InvalidModelException(path,
                $"the graph's input '{ModelMetadata.InputName}' is {Describe(input)}, but its metadata says the pipeline feeds " +
                $"float[batch,3,{m.InputHeight},{m.InputWidth}] (pipeline.input_height/input_width): graph and metadata disagree. " +
                "Export the model again, or give metadata that matches the graph.");
        }
        foreach (string name in new[] { ModelMetadata.LogitsName, ModelMetadata.ProbabilitiesName })
        {
            if (!session.OutputMetadata.TryGetValue(name, out var output))
            {
                throw new InvalidModelException(path,
                    $"the graph has no output '{name}' (outputs: {string.Join(", ", session.OutputMetadata.Keys)}): re-export it with this project's exporter.");
            }
            int last = output.Dimensions.Length > 0 ? output.Dimensions[^1] : 0;
            if (output.ElementType != typeof(float) || (last > 0 && last != m.Classes.Count))
            {
                throw new InvalidModelException(path,
                    $"the graph's output '{name}' is {Describe(output)} but the metadata lists {m.Classes.Count} classes: graph and metadata disagree; re-export it.");
            }
        }
    }

    private static string Describe(NodeMetadata node) =>
        $"{node.ElementType.Name}[{string.Join(",", node.Dimensions.Select(d => d <= 0 ? "?" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]";
}
