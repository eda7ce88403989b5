using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Pipeline.Experiments;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Training;

/// <summary>
/// The state at the end of an epoch: enough to continue the run as if it had never stopped
/// (model, optimizer, libtorch's RNG, the metrics so far). One file, written atomically, ending in the SHA-256
/// of everything before it: damage anywhere is a clear error on load, never silently wrong weights.
/// </summary>
public static class Checkpoint
{
    private const string Magic = "PIPELINE-CHECKPOINT";
    private const int FormatVersion = 2;
    private const int ChecksumBytes = 32;

    /// <param name="Dynamics">The dynamics records so far (null in checkpoints written before they existed).</param>
    public sealed record Header(string SpecJson, int EpochsDone, long GlobalStep, IReadOnlyList<EpochMetrics> History, string DatasetFingerprint,
        IReadOnlyList<DynamicsRecord>? Dynamics = null);

    public static void Save(string path, Header header, nn.Module model, optim.Optimizer optimizer)
    {
        AtomicFile.Write(path, file =>
        {
            using var stream = new HashingStream(file);
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
            writer.Flush();
            file.Write(stream.Hash());
        });
    }

    /// <summary>Reads only the header (no tensors), e.g. to decide whether a run can resume.</summary>
    /// <exception cref="InvalidDataException">The file is damaged or not a checkpoint of this format.</exception>
    public static Header ReadHeader(string path)
    {
        using var reader = Open(path);
        return Unreadable(path, () => ReadHeader(reader, path));
    }

    /// <summary>Restores model, optimizer and RNG; returns the header.</summary>
    /// <exception cref="InvalidDataException">The file is damaged, or holds another model's or optimizer's state.</exception>
    public static Header Load(string path, nn.Module model, optim.Optimizer optimizer)
    {
        using var reader = Open(path);
        return Unreadable(path, () =>
        {
            var header = ReadHeader(reader, path);
            MemoryFormat.WithContiguousTensors(model, optimizer, () =>
            {
                model.load(reader);
                ((TorchSharp.Modules.OptimizerHelper)optimizer).load_state_dict(reader);
            });
            int length = reader.ReadInt32();
            if (length is < 0 or > 1 << 20)
                throw new InvalidDataException($"an RNG state of {length} bytes");
            byte[] state = reader.ReadBytes(length);
            if (CpuRngStateProblem(state) is { } problem)
                throw new InvalidDataException($"its RNG state is not libtorch's: {problem}");
            using var rng = torch.empty(length, dtype: ScalarType.Byte);
            rng.bytes = state;
            torch.set_rng_state(rng);
            return header;
        });
    }

    /// <summary>
    /// Why libtorch would refuse <paramref name="state"/> as the CPU generator's state, or null. libtorch's refusal is
    /// not an exception TorchSharp passes on: it aborts the process (a c10::Error thrown through the native call), so
    /// the checks of ATen's <c>CPUGeneratorImpl::set_state</c> are made here first. The layout is its
    /// <c>CPUGeneratorImplStateLegacy</c> (5,048 bytes: seed u64, left i32, seeded i32, next u64, 624 × u64 state,
    /// normal sampling fields), optionally followed by the float-sample fields (5,056 bytes in all).
    /// </summary>
    internal static string? CpuRngStateProblem(ReadOnlySpan<byte> state)
    {
        const int MersenneStateN = 624;
        if (state.Length is not (5048 or 5056))
            return $"{state.Length} bytes, not 5,048 or 5,056";
        int left = BinaryPrimitives.ReadInt32LittleEndian(state[8..]);
        int seeded = BinaryPrimitives.ReadInt32LittleEndian(state[12..]);
        uint next = (uint)BinaryPrimitives.ReadUInt64LittleEndian(state[16..]);
        if (seeded == 0)
            return "the generator is marked unseeded";
        if (left is <= 0 or > MersenneStateN || next > MersenneStateN)
            return $"its Mersenne Twister position is out of range (left {left}, next {next})";
        return null;
    }

    /// <summary>
    /// A checkpoint whose checksum matches can still be unreadable: written by a buggy writer, or holding the state of
    /// another architecture or optimizer. Whatever the parser or TorchSharp throws then becomes one error naming the file.
    /// </summary>
    private static T Unreadable<T>(string path, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is EndOfStreamException or JsonException or ArgumentException or InvalidOperationException
                                      or InvalidDataException or FormatException or NotSupportedException or OverflowException
                                      or System.Runtime.InteropServices.ExternalException)
        {
            throw new InvalidDataException(
                $"{path} cannot be read as this run's checkpoint ({e.Message.Split('\n')[0]}). Delete it to start the run over.", e);
        }
    }

    private static BinaryReader Open(string path)
    {
        VerifyChecksum(path);
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

    /// <exception cref="InvalidDataException">The file is shorter than a checksum, or its content does not match it.</exception>
    private static void VerifyChecksum(string path)
    {
        using var file = File.OpenRead(path);
        if (file.Length < ChecksumBytes)
            throw new InvalidDataException($"{path} is truncated ({file.Length} bytes). Delete it to start the run over.");
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        for (long left = file.Length - ChecksumBytes; left > 0;)
        {
            int read = file.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            hash.AppendData(buffer, 0, read);
            left -= read;
        }
        var stored = new byte[ChecksumBytes];
        file.ReadExactly(stored);
        if (!hash.GetHashAndReset().AsSpan().SequenceEqual(stored))
            throw new InvalidDataException(
                $"{path} is damaged: its content does not match its checksum (truncated, or changed on disk). Delete it to start the run over.");
    }

    /// <summary>Passes writes through to the file and hashes them on the way.</summary>
    private sealed class HashingStream(Stream inner) : Stream
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public byte[] Hash() => _hash.GetHashAndReset();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _hash.AppendData(buffer);
            inner.Write(buffer);
        }

        public override void Flush() => inner.Flush();
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                _hash.Dispose();
            base.Dispose(disposing);
        }
    }

    private static Header ReadHeader(BinaryReader reader, string path) =>
        JsonSerializer.Deserialize<Header>(reader.ReadString(), RunSpec.Json)
        ?? throw new InvalidDataException($"{path}: empty checkpoint header.");
}
