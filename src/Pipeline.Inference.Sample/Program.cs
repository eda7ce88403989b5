// classify <model.onnx> <image> [<image> ...]: the top 3 classes of each image, from a model exported by
// the Pipeline project. Everything the model needs (classes, input size, normalisation) is in the file.
using System.Globalization;
using Pipeline.Inference;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: classify <model.onnx> <image> [<image> ...]");
    return 2;
}

try
{
    using var classifier = ImageClassifier.Load(args[0]);
    var m = classifier.Metadata;
    Console.WriteLine($"model: {Path.GetFileName(classifier.ModelPath)} ({m.Flavour}, zero-init-last {m.ZeroInitLast}, {m.Head} head, " +
                      $"{m.Classes.Count} classes) on {classifier.Device.Description}");

    var images = args[1..];
    var results = classifier.ClassifyBatch(images, topK: 3);
    for (int i = 0; i < images.Length; i++)
    {
        Console.WriteLine(images[i]);
        foreach (var p in results[i])
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {p.ClassName} ({p.ClassId}) {p.Probability:0.0000}"));
    }
    return 0;
}
catch (Exception ex) when (ex is InvalidModelException or InvalidDataException or FileNotFoundException)
{
    Console.Error.WriteLine(ex.Message);
    return 1;
}
