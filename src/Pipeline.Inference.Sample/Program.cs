// classify [--di] <model.onnx> <image> [<image> ...]: the top 3 classes of each image, from a model exported by
// the Pipeline project. Everything the model needs (classes, input size, normalisation) is in the file.
// Plain, the app loads the classifier itself and scores the images as one batch; with --di it gets the shared
// IImageClassifier from a service container, as an ASP.NET Core or generic-host app does, and awaits each image.
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.Inference;

bool fromContainer = args.FirstOrDefault() == "--di";
if (fromContainer)
    args = args[1..];
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: classify [--di] <model.onnx> <image> [<image> ...]");
    return 2;
}

try
{
    var images = args[1..];
    if (fromContainer)
    {
        using var services = new ServiceCollection().AddImageClassifier(args[0]).BuildServiceProvider();
        var shared = services.GetRequiredService<IImageClassifier>();
        Describe(shared);
        foreach (string image in images)
            Print(image, await shared.ClassifyAsync(image, topK: 3));
    }
    else
    {
        using var classifier = ImageClassifier.Load(args[0]);
        Describe(classifier);
        var results = classifier.ClassifyBatch(images, topK: 3);
        for (int i = 0; i < images.Length; i++)
            Print(images[i], results[i]);
    }
    return 0;
}
catch (Exception ex) when (ex is InvalidModelException or InvalidDataException or FileNotFoundException)
{
    Console.Error.WriteLine(ex.Message);
    return 1;
}

static void Describe(IImageClassifier classifier)
{
    var m = classifier.Metadata;
    Console.WriteLine($"model: {Path.GetFileName(classifier.ModelPath)} ({m.Flavour}, zero-init-last {m.ZeroInitLast}, {m.Head} head, " +
                      $"{m.Classes.Count} classes) on {classifier.Device.Description}");
}

static void Print(string image, IReadOnlyList<Prediction> top)
{
    Console.WriteLine(image);
    foreach (var p in top)
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {p.ClassName} ({p.ClassId}) {p.Probability:0.0000}"));
}
