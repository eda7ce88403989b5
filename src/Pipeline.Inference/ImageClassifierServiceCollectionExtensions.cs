using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pipeline.Inference;

// The namespace of IServiceCollection itself, as Microsoft.Extensions' own Add* methods do: `services.AddImageClassifier`
// is found where `services` is, without another using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers an <see cref="IImageClassifier"/> in a service container (ASP.NET Core, the generic host).</summary>
public static class ImageClassifierServiceCollectionExtensions
{
    /// <summary>
    /// Registers one <see cref="ImageClassifier"/> for the whole app, as <see cref="IImageClassifier"/>: a singleton (it is
    /// thread-safe, and loading a model is the expensive part), loaded when first resolved, with its
    /// <see cref="ClassifierOptions"/> from the options pattern and its log in the app's <see cref="ILoggerFactory"/> when there
    /// is one; the container disposes it. Resolve it at start-up to fail fast on a bad model file.
    /// </summary>
    /// <param name="services">The app's services.</param>
    /// <param name="modelPath">The .onnx file; a relative path is taken from the current directory when first resolved.</param>
    /// <param name="configure">Sets the options (device, threads, batch size); <c>services.Configure&lt;ClassifierOptions&gt;(…)</c> works too.</param>
    public static IServiceCollection AddImageClassifier(this IServiceCollection services, string modelPath, Action<ClassifierOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        var options = services.AddOptions<ClassifierOptions>();
        if (configure is not null)
            options.Configure(configure);
        services.AddSingleton<IImageClassifier>(provider => ImageClassifier.Load(
            modelPath,
            provider.GetRequiredService<IOptions<ClassifierOptions>>().Value,
            provider.GetService<ILoggerFactory>()?.CreateLogger<ImageClassifier>()));
        return services;
    }
}
