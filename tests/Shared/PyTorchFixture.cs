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
    public static float[][] Logits => RowsOf(s_json.Value.GetProperty("logits"));

    /// <summary>
    /// The opposite direction, made by StateDictTests' PyTorch test and committed: for each state dict we export, its SHA-256
    /// and the logits PyTorch computed for <see cref="Input"/> after loading exactly that file.
    /// </summary>
    public static readonly string ExportsFile = Path.Combine(s_folder, "exports-loaded-by-pytorch.json");

    public const string RefreshExportsCommand =
        "with python3-torch and python3-torchvision installed, PIPELINE_REFRESH_PYTORCH_FIXTURES=1 dotnet test tests/Pipeline.Models.Tests -c Release --filter State_dicts_we_export_load_into_PyTorch_and_give_our_logits";

    private static readonly Lazy<JsonElement> s_exports = new(() => JsonDocument.Parse(File.ReadAllText(ExportsFile)).RootElement);

    public static string ExportsMadeWith => s_exports.Value.GetProperty("versions").GetString()!;

    public static (string Sha256, float[][] Logits) Export(string file)
    {
        var entry = s_exports.Value.GetProperty("files").GetProperty(file);
        return (entry.GetProperty("sha256").GetString()!, RowsOf(entry.GetProperty("logits")));
    }

    public static void WriteExports(string versions, IReadOnlyDictionary<string, (string Sha256, float[][] Logits)> files) =>
        File.WriteAllText(ExportsFile, JsonSerializer.Serialize(new
        {
            made_by = RefreshExportsCommand,
            versions,
            files = files.OrderBy(f => f.Key, StringComparer.Ordinal).ToDictionary(f => f.Key, f => new { sha256 = f.Value.Sha256, logits = f.Value.Logits }),
        }, new JsonSerializerOptions { WriteIndented = true }) + "\n");

    /// <summary>Logits as PyTorch's JSON holds them: an array of rows, one per image.</summary>
    public static float[][] RowsOf(JsonElement rows) => rows.EnumerateArray().Select(r => r.EnumerateArray().Select(e => e.GetSingle()).ToArray()).ToArray();
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
