using System.Buffers.Binary;
using System.Collections;
using System.Text;
using System.Text.Json;
using Pipeline.Experiments;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Pipeline.Models;

/// <summary>
/// PyTorch's state-dict files, read and written with PyTorch's parameter names (which are this project's):
/// <list type="bullet">
/// <item><c>.safetensors</c>: read with TorchSharp.PyBridge; written here (8-byte little-endian header length, a JSON header
/// of dtype, shape and data offsets with a <c>__metadata__</c> entry, the raw little-endian data), byte for byte the same for the
/// same weights.</item>
/// <item><c>.pth</c>, <c>.pt</c> (or <c>.bin</c>): <c>torch.save(model.state_dict(), f)</c>'s zip format, read and written with
/// TorchSharp.PyBridge. A dictionary that holds the state dict under <c>"state_dict"</c> or <c>"model"</c> (a training
/// checkpoint) is read too.</item>
/// </list>
/// </summary>
public static class StateDictFile
{
    public static readonly IReadOnlyList<string> Extensions = [".safetensors", ".pth", ".pt", ".bin"];

    /// <summary>Every tensor of the file by name. The caller owns (and disposes) the tensors.</summary>
    /// <exception cref="InvalidDataException">The file is not a state dict in a format read here; the message names it and the fix.</exception>
    public static Dictionary<string, Tensor> Read(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: no such state-dict file. Give the path of a .safetensors, .pth or .pt file.", path);
        string extension = Path.GetExtension(path).ToLowerInvariant();
        if (!Extensions.Contains(extension))
            throw new InvalidDataException($"{path}: '{extension}' is not a state-dict format read here. Save it as .safetensors, or with torch.save(model.state_dict(), 'x.pth').");
        try
        {
            if (extension == ".safetensors")
                return Safetensors.LoadStateDict(path);
            using var stream = File.OpenRead(path);
            return Tensors(PyTorchUnpickler.UnpickleStateDict(stream), path);
        }
        catch (Exception e) when (e is not InvalidDataException and not OutOfMemoryException)
        {
            throw new InvalidDataException(
                $"{path} cannot be read as a PyTorch state dict ({e.GetType().Name}: {e.Message.Split('\n')[0]}). " +
                "Save the weights alone in PyTorch (torch.save(model.state_dict(), 'x.pth'), or safetensors' save_file) and pass that file.", e);
        }
    }

    /// <summary>
    /// Writes <paramref name="model"/>'s state dict (in its order: parameters and buffers, module by module) as
    /// safetensors or, for .pth/.pt, as torch.save does; <paramref name="metadata"/> goes into the safetensors header.
    /// </summary>
    public static void Write(string path, nn.Module model, IReadOnlyDictionary<string, string>? metadata = null) =>
        Write(path, model.state_dict(), metadata);

    /// <summary>Writes these tensors by name, in this order, as <see cref="Write(string, nn.Module, IReadOnlyDictionary{string, string}?)"/> does.</summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> stateDict, IReadOnlyDictionary<string, string>? metadata = null)
    {
        string extension = Path.GetExtension(path).ToLowerInvariant();
        if (!Extensions.Contains(extension))
            throw new ArgumentException($"{path}: write a state dict as .safetensors, .pth or .pt.", nameof(path));
        using var scope = NewDisposeScope();
        var tensors = stateDict.Select(p => (p.Key, Tensor: p.Value.detach().contiguous().cpu())).ToList();
        AtomicFile.Write(path, stream =>
        {
            if (extension == ".safetensors")
                WriteSafetensors(stream, tensors, metadata ?? new Dictionary<string, string>());
            else
                PyTorchPickler.PickleStateDict(stream, new Hashtable(tensors.ToDictionary(t => t.Key, t => (object)t.Tensor)), leaveOpen: true);
        });
    }

    private static void WriteSafetensors(Stream stream, IReadOnlyList<(string Key, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        using var header = new MemoryStream();
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            json.WriteStartObject("__metadata__");
            json.WriteString("format", "pt");
            foreach (var (key, value) in metadata)
                json.WriteString(key, value);
            json.WriteEndObject();
            long offset = 0;
            foreach (var (key, tensor) in tensors)
            {
                long length = tensor.NumberOfElements * tensor.ElementSize;
                json.WriteStartObject(key);
                json.WriteString("dtype", SafetensorsType(tensor.dtype, key));
                json.WriteStartArray("shape");
                foreach (long d in tensor.shape)
                    json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += length;
            }
            json.WriteEndObject();
        }
        // The header is padded with spaces to a multiple of 8 bytes, as the safetensors library writes it, so the data is aligned.
        while (header.Length % 8 != 0)
            header.WriteByte((byte)' ');
        Span<byte> length8 = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length8, (ulong)header.Length);
        stream.Write(length8);
        header.Position = 0;
        header.CopyTo(stream);
        foreach (var (_, tensor) in tensors)
            stream.Write(tensor.bytes); // little-endian, as this machine and the format are
    }

    private static string SafetensorsType(ScalarType type, string key) => type switch
    {
        ScalarType.Float32 => "F32",
        ScalarType.Float16 => "F16",
        ScalarType.BFloat16 => "BF16",
        ScalarType.Float64 => "F64",
        ScalarType.Int64 => "I64",
        ScalarType.Int32 => "I32",
        ScalarType.Byte => "U8",
        ScalarType.Bool => "BOOL",
        _ => throw new NotSupportedException($"{key}: {type} has no safetensors type written here."),
    };

    /// <summary>The tensors of an unpickled state dict, or of the state dict a training checkpoint holds under "state_dict" or "model".</summary>
    private static Dictionary<string, Tensor> Tensors(Hashtable table, string path)
    {
        var tensors = table.Cast<DictionaryEntry>().Where(e => e.Value is Tensor).ToDictionary(e => (string)e.Key, e => (Tensor)e.Value!);
        if (tensors.Count > 0)
            return tensors;
        foreach (string wrapper in new[] { "state_dict", "model" })
        {
            if (table[wrapper] is Hashtable inner)
                return Tensors(inner, path);
        }
        throw new InvalidDataException(
            $"{path} holds no tensors (keys: {string.Join(", ", table.Keys.Cast<object>().Take(10))}). Save the weights alone: torch.save(model.state_dict(), 'x.pth').");
    }
}
