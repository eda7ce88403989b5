// Usage: dotnet run -c Release --project bench/Pipeline.Data.Bench -- [shortSide=144] [size=128] [batch=64] [workers=2] [epochs=2]
// Builds (once) the decoded cache of the train split, then times epochs of batches with each train
// transform, and reports how fast the cache build decoded and how fast batches come out.
using System.Diagnostics;
using Pipeline.Data;

int Arg(int i, int fallback) => args.Length > i ? int.Parse(args[i]) : fallback;
int shortSide = Arg(0, 144), size = Arg(1, 128), batchSize = Arg(2, 64), workers = Arg(3, 2), epochs = Arg(4, 2);

string root = ImagenetteDataset.FindDefaultRoot() ?? throw new InvalidOperationException($"No dataset: set {ImagenetteDataset.RootVariable}.");
var clock = Stopwatch.StartNew();
var dataset = ImagenetteDataset.Open(root);
Console.WriteLine($"dataset {root}: {dataset.Train.Count} train, {dataset.Val.Count} val, fingerprint {dataset.Fingerprint}, indexed in {clock.Elapsed.TotalSeconds:F1} s");

DecodedImageCache OpenCache(string split, IReadOnlyList<LabeledImage> images)
{
    clock.Restart();
    CacheProgress? last = null;
    var cache = DecodedImageCache.BuildOrOpen(images, shortSide, dataset.Fingerprint, progress: new Progress<CacheProgress>(p => last = p));
    Console.WriteLine(last is null
        ? $"{split} cache {cache.FilePath}: opened in {clock.Elapsed.TotalSeconds:F2} s (already built)"
        : $"{split} cache {cache.FilePath}: built in {clock.Elapsed.TotalSeconds:F1} s, {cache.Count / clock.Elapsed.TotalSeconds:F0} images/s decoded on {Environment.ProcessorCount} cores");
    return cache;
}

using var cache = OpenCache("train", dataset.Train);
using (OpenCache("val", dataset.Val)) { } // every val image decodes too

foreach (IImageTransform transform in new IImageTransform[] { new ResizeThenRandomCrop(size), new RandomResizedCrop(size) })
{
    // CPU cost of one image on one thread (best of 3 passes over 2000 images): what the loader takes
    // from training. Process CPU time, not wall time, so other work on the machine does not inflate it.
    var output = new byte[3 * size * size];
    double best = double.MaxValue;
    for (int pass = 0; pass < 3; pass++)
    {
        var rng = new Random(pass);
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        for (int i = 0; i < 2000; i++)
            transform.Apply(cache.Get(i), rng, output);
        best = Math.Min(best, (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMicroseconds / 2000);
    }
    Console.WriteLine($"{transform.GetType().Name}({size}): {best:F0} µs of CPU per image");

    for (int epoch = 0; epoch < epochs; epoch++)
    {
        using var loader = new BatchLoader(cache, transform, batchSize, shuffle: true, seed: 0, epoch, dropLast: true, workers);
        clock.Restart();
        int images = 0;
        foreach (var batch in loader)
            images += batch.Count;
        double seconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"{transform.GetType().Name}({size}) batch {batchSize}, {workers} workers, epoch {epoch}: {loader.BatchCount / seconds:F1} batches/s, {images / seconds:F0} images/s");
    }
}
