using Pipeline.Data;

namespace Pipeline.Onnx;

/// <summary>
/// Labelled images as an exported graph's input: the decoded cache at the input size, centre-cropped square, as
/// planar floats in 0..255, which is what ML.NET's LoadImages → ResizeImages(IsoCrop) → ExtractPixels gives.
/// </summary>
internal static class GraphInputs
{
    /// <summary>The images in order, in batches: each batch's pixels ([Count, 3, side, side]) with its labels.</summary>
    public static IEnumerable<(float[] Pixels, Batch Batch)> Batches(IReadOnlyList<LabeledImage> images, int side, string datasetFingerprint,
        int batchSize, CancellationToken cancellation = default)
    {
        using var cache = DecodedImageCache.BuildOrOpen(images, side, datasetFingerprint, ct: cancellation);
        using var loader = new BatchLoader(cache, new CenterCrop(side), batchSize, shuffle: false, seed: 0, epoch: 0);
        foreach (var batch in loader)
        {
            cancellation.ThrowIfCancellationRequested();
            var pixels = new float[batch.Count * 3 * side * side];
            for (int i = 0; i < pixels.Length; i++)
                pixels[i] = batch.Pixels[i];
            yield return (pixels, batch);
        }
    }
}
