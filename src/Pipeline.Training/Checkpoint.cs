using System.Text;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Training;

/// <summary>
/// The state at the end of an epoch: enough to continue the run as if it had never stopped
/// (model, optimizer, libtorch's RNG, the metrics so far). One file, written atomically.
/// </summary>
public static class Checkpoint
{
    private const string Magic = "PIPELINE-CHECKPOINT";
    private const int FormatVersion = 1;

    public sealed record Header(string SpecJson, int EpochsDone, long GlobalStep, IReadOnlyList<EpochMetrics> History, string DatasetFingerprint);

    public static void Save(string path, Header header, nn.Module model, optim.Optimizer optimizer)
    {
        RunFolder.WriteAtomically(path, stream =>
        {
            using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
            writer.Write(Magic);
            writer.Write(FormatVersion);
            writer.Write(JsonSerializer.Serialize(header, RunSpec.Json));
            MemoryFormat.WithContiguousTensors(model, optimizer, () =>
            {
                model.save(writer);
                ((TorchSharp.Modules.OptimizerHelper)optimizer).save_state_dict(writer);
            });
            using var rng = torch.get_rng_state();
            var bytes = rng.bytes.ToArray();
            writer.Write(bytes.Length);
            writer.Write(bytes);
        });
    }

    /// <summary>Reads only the header (no tensors), e.g. to decide whether a run can resume.</summary>
    public static Header ReadHeader(string path)
    {
        using var reader = Open(path);
        return ReadHeader(reader, path);
    }

    /// <summary>Restores model, optimizer and RNG; returns the header.</summary>
    public static Header Load(string path, nn.Module model, optim.Optimizer optimizer)
    {
        using var reader = Open(path);
        var header = ReadHeader(reader, path);
        MemoryFormat.WithContiguousTensors(model, optimizer, () =>
        {
            model.load(reader);
            ((TorchSharp.Modules.OptimizerHelper)optimizer).load_state_dict(reader);
        });
        int length = reader.ReadInt32();
        using var rng = torch.empty(length, dtype: ScalarType.Byte);
        rng.bytes = reader.ReadBytes(length);
        torch.set_rng_state(rng);
        return header;
    }

    private static BinaryReader Open(string path)
    {
        var reader = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
        try
        {
            if (reader.ReadString() != Magic)
                throw new InvalidDataException($"{path} is not a checkpoint written by this project.");
            int version = reader.ReadInt32();
            if (version != FormatVersion)
                throw new InvalidDataException($"{path} has checkpoint format {version}; this version reads {FormatVersion}. Re-run training.");
            return reader;
        }
        catch (EndOfStreamException)
        {
            reader.Dispose();
            throw new InvalidDataException($"{path} is truncated. Delete it to start the run over.");
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    private static Header ReadHeader(BinaryReader reader, string path) =>
        JsonSerializer.Deserialize<Header>(reader.ReadString(), RunSpec.Json)
        ?? throw new InvalidDataException($"{path}: empty checkpoint header.");
}
