using System.Globalization;

namespace Pipeline.Reporting.Tests.Fixtures;

/// <summary>Training-run folders as the trainer writes them: metrics.jsonl and config.json.</summary>
public static class TrainingRuns
{
    public static string Write(string runsRoot, string name, double[] valTop1, string resize = "bilinear")
    {
        string folder = Path.Combine(runsRoot, name);
        Directory.CreateDirectory(folder);
        var lines = valTop1.Select((top1, i) => string.Create(CultureInfo.InvariantCulture,
            $"{{\"epoch\":{i + 1},\"train_loss\":{2.2 - 0.1 * i},\"val_loss\":{2.0 - 0.1 * i},\"val_top1\":{top1},\"val_top5\":{Math.Min(1, top1 + 0.3)},\"lr\":0.1,\"wall_s\":{30 * (i + 1)},\"images_per_s\":310.5}}"));
        File.WriteAllLines(Path.Combine(folder, "metrics.jsonl"), lines);
        File.WriteAllText(Path.Combine(folder, "config.json"),
            $$"""{"model":{"flavour":"timm","zero_init_last":true},"data":{"image_size":64,"val_resize":"{{resize}}","val_crop":"centre"},"epochs":{{valTop1.Length}}}""");
        return folder;
    }
}
