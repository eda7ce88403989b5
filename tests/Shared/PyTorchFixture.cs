using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json;

namespace Pipeline.Testing;

/// <summary>
/// What PyTorch itself made, committed with the script that made it (tests/Pipeline.Models.Tests/PyTorch/make_import_fixture.py):
/// torchvision's resnet18(num_classes=3) state dict as torch.save wrote it, a fixed input and the logits PyTorch computed.
/// </summary>
internal static class PyTorchFixture
{
    private static readonly string s_folder = TestRepository.PathOf("tests/Pipeline.Models.Tests/PyTorch");
    private static readonly Lazy<JsonElement> s_json = new(() => JsonDocument.Parse(File.ReadAllText(Path.Combine(s_folder, "resnet18-3class.json"))).RootElement);

    public const int Classes = 3;

    /// <summary>The state dict as torch.save wrote it, unzipped into <paramref name="folder"/>; returns its path.</summary>
    public static string Resnet18ThreeClassPth(string folder)
    {
        string path = Path.Combine(folder, "resnet18-3class.pth");
        if (!File.Exists(path))
        {
            using var gz = new GZipStream(File.OpenRead(Path.Combine(s_folder, "resnet18-3class.pth.gz")), CompressionMode.Decompress);
            using var file = File.Create(path);
            gz.CopyTo(file);
        }
        return path;
    }

    public static long[] InputShape => s_json.Value.GetProperty("input_shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();

    /// <summary>The fixed input, pixel values / 256, flattened.</summary>
    public static float[] Input => s_json.Value.GetProperty("input").EnumerateArray().Select(e => e.GetInt32() / 256f).ToArray();

    /// <summary>PyTorch's logits for <see cref="Input"/>, one row per image.</summary>
    public static float[][] Logits => s_json.Value.GetProperty("logits").EnumerateArray().Select(r => r.EnumerateArray().Select(e => e.GetSingle()).ToArray()).ToArray();
}

/// <summary>
/// A test that needs PyTorch (Debian's python3-torch and python3-torchvision) at /usr/bin/python3: skipped, saying so, where
/// that interpreter cannot import them (CI installs neither; the committed fixtures carry PyTorch's side there).
/// </summary>
internal sealed class PyTorchFactAttribute : FactAttribute
{
    public const string Python = "/usr/bin/python3";

    private static readonly Lazy<string?> s_missing = new(() =>
    {
        if (!File.Exists(Python))
            return $"{Python} does not exist";
        try
        {
            using var process = Process.Start(new ProcessStartInfo(Python, ["-c", "import torch, torchvision"]) { RedirectStandardError = true })!;
            string error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0 ? null : $"{Python} cannot import torch and torchvision ({error.Trim().Split('\n')[^1]})";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"{Python} does not start ({e.Message})";
        }
    });

    public PyTorchFactAttribute()
    {
        if (s_missing.Value is { } why)
            Skip = $"needs PyTorch: {why}. Install python3-torch and python3-torchvision (apt) to run it.";
    }
}
