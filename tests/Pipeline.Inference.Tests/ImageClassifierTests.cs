using Pipeline.Evaluation.Tests.Fixtures;
using Pipeline.Experiments;

namespace Pipeline.Inference.Tests;

public sealed class ImageClassifierTests : IDisposable
{
    private readonly TestModels _models = new();
    private static readonly ClassifierOptions Cpu = new() { Device = ComputeDevice.Cpu };

    public void Dispose() => _models.Dispose();

    private static IReadOnlyList<string> ValImages(int perClass) => Imagenette.ValSlice(perClass).Examples.Select(e => e.ImagePath).ToArray();

    [Fact]
    public void Colour_images_get_their_class_with_names_from_the_metadata()
    {
        var classes = Imagenette.Wnids.Select((w, i) => new ModelClass(w, $"class {i}")).ToArray();
        using var classifier = ImageClassifier.Load(ColourImages.Model(_models.Folder, "nearest-colour", classes), Cpu);

        for (int k = 0; k < 10; k++)
        {
            var top = classifier.Classify(ColourImages.Write(_models.Folder, $"c{k}", k), topK: 3);
            Assert.Equal(3, top.Count);
            Assert.Equal(k, top[0].Index);
            Assert.Equal(classes[k].Id, top[0].ClassId);
            Assert.Equal($"class {k}", top[0].ClassName);
            Assert.True(top[0].Probability >= top[1].Probability && top[1].Probability >= top[2].Probability, "top-k must be sorted, most probable first");
        }
        Assert.Equal("CPU", classifier.Device.Description);
    }

    [Theory]
    [InlineData(ResNetArch.ResNet34)]
    [InlineData(ResNetArch.ResNet50)]
    public void An_exported_deeper_ResNet_classifies_as_a_ResNet18_does(ResNetArch arch)
    {
        var config = ResNetConfig.LibraryDefault(ResNetFlavour.Torchvision, HeadKind.Fastai) with { Arch = arch };
        using var classifier = ImageClassifier.Load(ExportedResNets.Export(_models.Path_($"{arch}.onnx"), config), Cpu);
        var all = classifier.Classify(ValImages(1)[0], topK: 10);
        Assert.Equal(arch.ToString().ToLowerInvariant(), classifier.Metadata.Architecture);
        Assert.Equal(10, all.Count);
        Assert.Equal(1.0, all.Sum(p => (double)p.Probability), 4);
        Assert.Equal(all, classifier.ClassifyBatch([ValImages(1)[0]], topK: 10)[0]);
    }

    /// <summary>The package follows the model's class count: a ResNet exported with 2 or 120 outputs, named from its metadata.</summary>
    [Theory]
    [InlineData(2)]
    [InlineData(120)]
    public void A_model_of_any_class_count_classifies_with_its_own_class_names(int count)
    {
        var classes = Enumerable.Range(0, count).Select(i => new ModelClass($"folder{i}", $"class name {i}")).ToArray();
        var config = ResNetConfig.LibraryDefault(ResNetFlavour.Timm, HeadKind.Library);
        using var classifier = ImageClassifier.Load(ExportedResNets.Export(_models.Path_($"classes-{count}.onnx"), config, classes: classes), Cpu);

        var all = classifier.Classify(ValImages(1)[0], topK: 1000);

        Assert.Equal(count, all.Count);
        Assert.Equal(classes.Select(c => c.Name).Order(), all.Select(p => p.ClassName).Order());
        Assert.All(all, p => Assert.Equal(classes[p.Index], new ModelClass(p.ClassId, p.ClassName)));
        Assert.Equal(1.0, all.Sum(p => (double)p.Probability), 4);
    }

    [Fact]
    public void Probabilities_of_all_classes_sum_to_one()
    {
        using var classifier = ImageClassifier.Load(_models.Random("tiny"), Cpu);
        var all = classifier.Classify(ValImages(1)[0], topK: 100);
        Assert.Equal(10, all.Count);
        Assert.Equal(1.0, all.Sum(p => (double)p.Probability), 4);
        Assert.Equal(Enumerable.Range(0, 10), all.Select(p => p.Index).Order());
    }

    [Fact]
    public void A_file_its_bytes_and_a_stream_of_it_get_the_same_answer()
    {
        using var classifier = ImageClassifier.Load(_models.Random("tiny"), Cpu);
        string image = ValImages(1)[3];
        var fromFile = classifier.Classify(image);
        var fromBytes = classifier.Classify(File.ReadAllBytes(image));
        using var stream = File.OpenRead(image);
        var fromStream = classifier.Classify(stream);
        Assert.Equal(fromFile, fromBytes);
        Assert.Equal(fromFile, fromStream);
    }

    [Fact]
    public void A_batch_larger_than_the_batch_size_comes_back_in_input_order_as_single_calls_would()
    {
        using var classifier = ImageClassifier.Load(_models.Random("tiny"), Cpu with { MaxBatchSize = 4 });
        var images = ValImages(1); // 10 images: batches of 4, 4 and 2
        var batch = classifier.ClassifyBatch(images, topK: 2);
        var bytes = classifier.ClassifyBatch(images.Select(File.ReadAllBytes).ToArray(), topK: 2);
        Assert.Equal(images.Count, batch.Count);
        for (int i = 0; i < images.Count; i++)
        {
            var single = classifier.Classify(images[i], topK: 2);
            AssertClose(single, batch[i], images[i]);
            AssertClose(single, bytes[i], images[i]);
        }
    }

    [Fact]
    public void Pixels_preprocessed_by_the_caller_get_the_probabilities_of_the_image()
    {
        using var classifier = ImageClassifier.Load(_models.Random("tiny"), Cpu);
        string image = ValImages(1)[2];
        var m = classifier.Metadata;
        var pixels = new float[3 * m.InputWidth * m.InputHeight];
        using (var bitmap = ImagePreprocessing.DecodeFile(image))
            ImagePreprocessing.WritePixels(bitmap, m.InputWidth, m.InputHeight, pixels);

        var probabilities = classifier.Probabilities(pixels, 1);

        Assert.Equal(classifier.Classify(image, topK: 10).OrderBy(p => p.Index).Select(p => p.Probability), probabilities);
        Assert.Throws<ArgumentException>(() => classifier.Probabilities(pixels, 2));
    }

    [Fact]
    public void Many_threads_at_once_get_what_one_thread_gets()
    {
        using var classifier = ImageClassifier.Load(_models.Random("tiny"), Cpu);
        var images = ValImages(2);
        var expected = images.Select(i => classifier.Classify(i)).ToArray();
        var actual = new IReadOnlyList<Prediction>[images.Count * 4];
        Parallel.For(0, actual.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => actual[i] = classifier.Classify(images[i % images.Count]));
        for (int i = 0; i < actual.Length; i++)
            AssertClose(expected[i % images.Count], actual[i], images[i % images.Count]);
    }

    [Fact]
    public void The_metadata_comes_with_the_model()
    {
        string path = _models.Random("tiny");
        using var classifier = ImageClassifier.Load(path, Cpu);
        Assert.Equal(Path.GetFullPath(path), classifier.ModelPath);
        Assert.Equal(Imagenette.Wnids, classifier.Metadata.Classes.Select(c => c.Id));
        Assert.Equal(72, classifier.Metadata.InputWidth);
    }

    [Fact]
    public void A_file_that_is_not_an_image_is_refused_naming_it()
    {
        using var classifier = ImageClassifier.Load(_models.Random("tiny"), Cpu);
        string notImage = _models.Path_("notes.jpg");
        File.WriteAllText(notImage, "not a JPEG");
        var ex = Assert.Throws<InvalidDataException>(() => classifier.Classify(notImage));
        Assert.StartsWith(notImage + ": not an image", ex.Message);
        // In a batch: the first bad image in input order, as itself.
        var fromBatch = Assert.Throws<InvalidDataException>(() => classifier.ClassifyBatch([ValImages(1)[0], notImage, _models.Path_("missing.jpg")]));
        Assert.StartsWith(notImage + ": not an image", fromBatch.Message);
        var bytes = Assert.Throws<InvalidDataException>(() => classifier.ClassifyBatch([File.ReadAllBytes(ValImages(1)[0]), [1, 2, 3], []]));
        Assert.StartsWith("image 1 of the batch: not an image", bytes.Message);
    }

    [Fact]
    public void A_missing_image_is_refused_naming_it()
    {
        using var classifier = ImageClassifier.Load(_models.Random("tiny"), Cpu);
        string missing = _models.Path_("missing.jpg");
        var ex = Assert.Throws<FileNotFoundException>(() => classifier.Classify(missing));
        Assert.Contains(missing, ex.Message);
    }

    [Fact]
    public void Models_that_cannot_be_used_are_refused_naming_the_file_and_the_fix()
    {
        string missing = _models.Path_("missing.onnx");
        Assert.Contains("does not exist", Assert.Throws<InvalidModelException>(() => ImageClassifier.Load(missing, Cpu)).Message);

        string truncated = _models.Path_("truncated.onnx");
        File.WriteAllBytes(truncated, File.ReadAllBytes(_models.Random("whole")).AsSpan(0, 40).ToArray());
        var ex = Assert.Throws<InvalidModelException>(() => ImageClassifier.Load(truncated, Cpu));
        Assert.StartsWith(truncated + ": not a readable ONNX model", ex.Message);
        Assert.Contains("export it again", ex.Message);

        string bare = _models.Random("bare", writeMetadata: false);
        var noMetadata = Assert.Throws<InvalidModelException>(() => ImageClassifier.Load(bare, Cpu));
        Assert.Equal(Path.GetFullPath(bare), noMetadata.FilePath);
        Assert.Contains("pipeline.classes", noMetadata.Message);
    }

    [Fact]
    public void Top_k_below_one_is_refused()
    {
        using var classifier = ImageClassifier.Load(_models.Random("tiny"), Cpu);
        Assert.Throws<ArgumentOutOfRangeException>(() => classifier.Classify(ValImages(1)[0], topK: 0));
    }

    [Fact]
    public void Requiring_the_gpu_runs_on_cuda_where_auto_does_and_is_an_error_elsewhere_never_a_silent_cpu_run()
    {
        using var auto = ImageClassifier.Load(_models.Random("tiny2"));
        var gpu = new ClassifierOptions { Device = ComputeDevice.Gpu };
        if (auto.Device.IsGpu)
        {
            using var onGpu = ImageClassifier.Load(_models.Random("tiny"), gpu);
            Assert.Equal(auto.Device, onGpu.Device);
        }
        else
        {
            Assert.Matches($"^{DeviceTests.CpuWithReason}$", auto.Device.Description);
            var ex = Assert.Throws<InvalidOperationException>(() => ImageClassifier.Load(_models.Random("tiny"), gpu));
            Assert.Contains("CUDA", ex.Message);
        }
    }

    [Fact]
    public async Task ClassifyAsync_gets_what_Classify_gets_from_a_file_its_bytes_and_a_stream()
    {
        using var classifier = ImageClassifier.Load(_models.Random("tiny"), Cpu);
        string image = ValImages(1)[5];
        var expected = classifier.Classify(image, topK: 4);

        Assert.Equal(expected, await classifier.ClassifyAsync(image, topK: 4));
        Assert.Equal(expected, await classifier.ClassifyAsync(await File.ReadAllBytesAsync(image), topK: 4));
        await using var stream = File.OpenRead(image);
        Assert.Equal(expected, await classifier.ClassifyAsync(stream, topK: 4));
    }

    [Fact]
    public async Task ClassifyAsync_with_a_cancelled_token_throws_OperationCanceledException()
    {
        using var classifier = ImageClassifier.Load(_models.Random("tiny"), Cpu);
        string image = ValImages(1)[0];
        var cancelled = new CancellationToken(canceled: true);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => classifier.ClassifyAsync(image, cancellationToken: cancelled));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => classifier.ClassifyAsync(File.ReadAllBytes(image), cancellationToken: cancelled));
        using var stream = File.OpenRead(image);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => classifier.ClassifyAsync(stream, cancellationToken: cancelled));
    }

    [Fact]
    public void A_cancellation_during_the_model_run_stops_onnx_runtime_as_an_OperationCanceledException()
    {
        using var classifier = ImageClassifier.Load(_models.Random("tiny"), Cpu);
        var m = classifier.Metadata;
        var pixels = new float[3 * m.InputWidth * m.InputHeight];

        // Cancelled before the call: the registration sets ONNX Runtime's terminate flag at once, so its run refuses to start.
        var ex = Assert.Throws<OperationCanceledException>(() => classifier.Run(pixels, 1, new CancellationToken(canceled: true)));
        Assert.IsType<Microsoft.ML.OnnxRuntime.OnnxRuntimeException>(ex.InnerException);
        Assert.Equal(10, classifier.Run(pixels, 1, CancellationToken.None).Length);
    }

    [Fact]
    public void Every_public_way_to_classify_is_on_the_interface_apps_mock()
    {
        static string Signature(System.Reflection.MethodInfo m) =>
            $"{m.ReturnType} {m.Name}({string.Join(", ", m.GetParameters().Select(p => $"{p.ParameterType} {p.Name} = {p.DefaultValue}"))})";
        var onInterface = typeof(IImageClassifier).GetMethods().Select(Signature).ToHashSet();
        var onClass = typeof(ImageClassifier).GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance)
            .Where(m => m.DeclaringType == typeof(ImageClassifier) && m.Name != nameof(IDisposable.Dispose)
                        && m.Name != nameof(ImageClassifier.Probabilities)) // span parameter: for callers that preprocess themselves, not mockable
            .Select(Signature).ToHashSet();

        Assert.Empty(onClass.Except(onInterface));
        Assert.Equal(3, onClass.Count(m => m.Contains(" ClassifyAsync(", StringComparison.Ordinal)));
    }

    [Fact]
    public void Load_logs_the_device_and_why_and_the_model_it_loaded()
    {
        using var log = new CapturingLogger();
        string path = _models.Random("tiny");
        using (ImageClassifier.Load(path, Cpu, log))
        {
        }
        using var auto = ImageClassifier.Load(path, logger: log);

        Assert.Contains($"{Path.GetFullPath(path)} runs on CPU (asked for Cpu)", log.Lines);
        Assert.Contains($"{Path.GetFullPath(path)} runs on {auto.Device.Description} (asked for Auto)", log.Lines);
        Assert.Contains(log.Lines, l => l.StartsWith($"Loaded {Path.GetFullPath(path)} in ", StringComparison.Ordinal) && l.EndsWith(" ms (tiny flavour, 10 classes, input 72x72)", StringComparison.Ordinal));
    }

    private static void AssertClose(IReadOnlyList<Prediction> expected, IReadOnlyList<Prediction> actual, string image)
    {
        Assert.Equal(expected.Select(p => p.Index), actual.Select(p => p.Index));
        for (int k = 0; k < expected.Count; k++)
            Assert.True(Math.Abs(expected[k].Probability - actual[k].Probability) < 1e-6f, $"{image}: {expected[k]} vs {actual[k]}");
    }
}
