namespace Pipeline.Data.Tests;

/// <summary>A small cache (8 val images per class at short side 40) shared by the loader tests.</summary>
public sealed class SmallCacheFixture : IDisposable
{
    private readonly TempFolder _temp = new();

    public SmallCacheFixture()
    {
        var images = SharedData.FirstPerClass(SharedData.Dataset.Val, 8);
        Cache = DecodedImageCache.BuildOrOpen(images, 40, SharedData.Dataset.Fingerprint, _temp.Path);
    }

    public DecodedImageCache Cache { get; }

    public void Dispose()
    {
        Cache.Dispose();
        _temp.Dispose();
    }
}

public class BatchLoaderTests(SmallCacheFixture fixture) : IClassFixture<SmallCacheFixture>
{
    private readonly DecodedImageCache _cache = fixture.Cache;

    private BatchLoader Loader(int batchSize = 12, bool shuffle = true, int seed = 1, int epoch = 0, bool dropLast = false, int workers = 2, int prefetch = 4, IImageTransform? transform = null) =>
        new(_cache, transform ?? new RandomResizedCrop(32), batchSize, shuffle, seed, epoch, dropLast, workers, prefetch);

    private static byte[] AllPixels(IEnumerable<Batch> batches) => batches.SelectMany(b => b.Pixels).ToArray();

    /// <summary>The bytes image <paramref name="index"/> got in an epoch, wherever it was batched.</summary>
    private static byte[] PixelsOf(BatchLoader loader, int index)
    {
        int position = loader.Order.ToList().IndexOf(index);
        var batch = loader.ElementAt(position / 12);
        int bytes = 3 * batch.Size * batch.Size;
        return batch.Pixels.AsSpan(position % 12 * bytes, bytes).ToArray();
    }

    [Fact]
    public void EachEpochYieldsEveryImageOnceInItsShuffledOrder()
    {
        using var loader = Loader();
        var batches = loader.ToList();

        Assert.Equal(80, _cache.Count);
        Assert.Equal(7, loader.BatchCount);
        Assert.Equal(7, batches.Count);
        Assert.Equal([12, 12, 12, 12, 12, 12, 8], batches.Select(b => b.Count));
        Assert.All(batches, b => Assert.Equal((32, b.Count * 3 * 32 * 32), (b.Size, b.Pixels.Length)));
        Assert.Equal(Enumerable.Range(0, 80), loader.Order.Order());
        Assert.NotEqual(Enumerable.Range(0, 80), loader.Order);
        Assert.Equal(loader.Order.Select(_cache.Label), batches.SelectMany(b => b.Labels));
    }

    [Fact]
    public void WithoutShuffleTheOrderIsTheCacheOrder()
    {
        using var loader = Loader(shuffle: false);
        Assert.Equal(Enumerable.Range(0, 80), loader.Order);
    }

    [Fact]
    public void DropLastLeavesOutTheShortBatch()
    {
        using var loader = Loader(dropLast: true);
        Assert.Equal(6, loader.BatchCount);
        Assert.All(loader, b => Assert.Equal(12, b.Count));
    }

    [Fact]
    public void SameSeedAndEpochGiveTheSameBytesWhateverTheThreading()
    {
        using var reference = Loader(workers: 1, prefetch: 1);
        using var parallel = Loader(workers: 4, prefetch: 8);
        using var again = Loader();

        byte[] expected = AllPixels(reference);
        Assert.Equal(expected, AllPixels(parallel));
        Assert.Equal(expected, AllPixels(again));
        Assert.Equal(expected, AllPixels(again)); // enumerating twice replays the epoch
    }

    [Fact]
    public void AnotherEpochOrSeedGivesAnotherOrderAndOtherCrops()
    {
        using var epoch0 = Loader(epoch: 0);
        using var epoch1 = Loader(epoch: 1);
        using var otherSeed = Loader(seed: 2);

        Assert.NotEqual(epoch0.Order, epoch1.Order);
        Assert.NotEqual(epoch0.Order, otherSeed.Order);
        Assert.NotEqual(PixelsOf(epoch0, 17), PixelsOf(epoch1, 17));
        Assert.NotEqual(PixelsOf(epoch0, 17), PixelsOf(otherSeed, 17));
    }

    [Fact]
    public void AnImagesCropDependsOnItsIndexNotOnItsPlaceInTheBatches()
    {
        using var shuffled = Loader(shuffle: true);
        using var inOrder = Loader(shuffle: false);

        foreach (int index in new[] { 0, 17, 79 })
            Assert.Equal(PixelsOf(inOrder, index), PixelsOf(shuffled, index));
    }

    [Fact]
    public void BreakingOffEarlyStopsTheProducer()
    {
        using var loader = Loader(batchSize: 4, workers: 2, prefetch: 2);
        var first = loader.First();
        Assert.Equal(4, first.Count);
        // The enumeration has ended and its builds have finished: a full pass still works.
        Assert.Equal(20, loader.Count());
    }

    [Fact]
    public void AFailedBuildRethrowsInTheConsumer()
    {
        using var loader = Loader(transform: new FailingTransform(), workers: 2);
        var error = Assert.Throws<InvalidOperationException>(() => loader.ToList());
        Assert.Equal("boom", error.Message);
    }

    private sealed class FailingTransform : IImageTransform
    {
        private int _calls;
        public int OutputSize => 8;

        public void Apply(ImageView source, Random rng, Span<byte> destinationChw)
        {
            if (Interlocked.Increment(ref _calls) > 30)
                throw new InvalidOperationException("boom");
        }
    }
}
