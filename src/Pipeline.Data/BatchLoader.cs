using System.Collections;
using System.Threading.Channels;

namespace Pipeline.Data;

/// <summary>
/// A batch: <see cref="Count"/> images as uint8 planar RGB, N × 3 × <see cref="Size"/> × <see cref="Size"/>,
/// and their labels.
/// </summary>
public sealed record Batch(byte[] Pixels, int[] Labels, int Count, int Size);

/// <summary>
/// One epoch of batches from a <see cref="DecodedImageCache"/>, built ahead of the consumer by background
/// workers so training never waits on them. Everything random is seeded from (seed, epoch) for the
/// order and from (seed, epoch, image index) for each image's transform, so an epoch is the same bytes
/// however the threads happen to run, and an image gets the same crop whichever batch it lands in.
/// </summary>
public sealed class BatchLoader : IEnumerable<Batch>, IDisposable
{
    private readonly DecodedImageCache _cache;
    private readonly IImageTransform _transform;
    private readonly int _batchSize;
    private readonly int _seed;
    private readonly int _epoch;
    private readonly int _workers;
    private readonly int _prefetch;
    private readonly int[] _order;
    private readonly CancellationTokenSource _disposed = new();

    /// <param name="workers">Batches built at the same time, each on its own thread.</param>
    /// <param name="prefetch">Batches queued ahead of the consumer.</param>
    public BatchLoader(DecodedImageCache cache, IImageTransform transform, int batchSize, bool shuffle, int seed, int epoch,
        bool dropLast = false, int workers = 2, int prefetch = 4)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(prefetch, 1);
        _cache = cache;
        _transform = transform;
        _batchSize = batchSize;
        _seed = seed;
        _epoch = epoch;
        _workers = workers;
        _prefetch = prefetch;

        _order = Enumerable.Range(0, cache.Count).ToArray();
        if (shuffle)
            new Random(SeedMixer.Mix(seed, epoch, SeedMixer.OrderStream)).Shuffle(_order);
        BatchCount = dropLast ? _order.Length / batchSize : (_order.Length + batchSize - 1) / batchSize;
    }

    public int BatchCount { get; }

    /// <summary>The image indices of the epoch, in the order they are batched.</summary>
    public IReadOnlyList<int> Order => _order;

    public IEnumerator<Batch> GetEnumerator() => Produce().GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Stops the background work of any enumeration still running.</summary>
    public void Dispose()
    {
        _disposed.Cancel();
        _disposed.Dispose();
    }

    /// <summary>Builds batch <paramref name="batchIndex"/> on the calling thread.</summary>
    public Batch Build(int batchIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batchIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(batchIndex, BatchCount);
        int start = batchIndex * _batchSize;
        int count = Math.Min(_batchSize, _order.Length - start);
        int size = _transform.OutputSize;
        int imageBytes = 3 * size * size;
        var pixels = new byte[count * imageBytes];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            int image = _order[start + i];
            var rng = new Random(SeedMixer.Mix(_seed, _epoch, image));
            _transform.Apply(_cache.Get(image), rng, pixels.AsSpan(i * imageBytes, imageBytes));
            labels[i] = _cache.Label(image);
        }
        return new Batch(pixels, labels, count, size);
    }

    /// <summary>
    /// A producer starts batch builds in order, at most <c>workers</c> at a time, and queues their tasks
    /// (at most <c>prefetch</c>); the consumer takes the tasks in order, so batches arrive in order
    /// whichever finishes first. A failed build rethrows here, in the consumer.
    /// </summary>
    private IEnumerable<Batch> Produce()
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(_disposed.Token);
        var queue = Channel.CreateBounded<Task<Batch>>(new BoundedChannelOptions(_prefetch) { SingleReader = true, SingleWriter = true });
        using var slots = new SemaphoreSlim(_workers);
        var started = new List<Task<Batch>>();
        var producer = Task.Run(async () =>
        {
            try
            {
                for (int b = 0; b < BatchCount; b++)
                {
                    await slots.WaitAsync(stop.Token).ConfigureAwait(false);
                    int batchIndex = b;
                    var build = Task.Run(() =>
                    {
                        try { return Build(batchIndex); }
                        finally { slots.Release(); }
                    });
                    started.Add(build);
                    await queue.Writer.WriteAsync(build, stop.Token).ConfigureAwait(false);
                }
                queue.Writer.Complete();
            }
            catch (Exception e)
            {
                queue.Writer.Complete(e);
            }
        });

        try
        {
            while (queue.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                while (queue.Reader.TryRead(out var build))
                    yield return build.GetAwaiter().GetResult();
            }
        }
        finally
        {
            stop.Cancel();
            producer.GetAwaiter().GetResult();
            // Builds read the cache's mapped memory: let them end before the caller may dispose it.
            try { Task.WaitAll(started); }
            catch (AggregateException) { } // failures were rethrown to the consumer, or nobody waits for that batch any more
        }
    }
}

/// <summary>Derives independent, well-mixed seeds from (seed, epoch, stream) with SplitMix64.</summary>
internal static class SeedMixer
{
    /// <summary>The stream of the shuffle order; image streams are the image indices (never negative).</summary>
    public const int OrderStream = -1;

    public static int Mix(int seed, int epoch, int stream)
    {
        ulong state = Step((ulong)(uint)seed);
        state = Step(state ^ (uint)epoch);
        state = Step(state ^ (uint)stream);
        return (int)(state >> 33);
    }

    private static ulong Step(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
