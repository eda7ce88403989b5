using System.CommandLine;
using Pipeline.Data;
using Spectre.Console;

namespace Pipeline.Cli;

public static class DataCommand
{
    public static Command Create() => new("data", "Datasets: download an official Imagenette archive, verify a dataset folder, build the decoded cache.")
    {
        Download(), Verify(), Cache(),
    };

    private static Command Download()
    {
        var archive = new Option<string>("--archive")
        {
            Description = $"Which archive: {string.Join(", ", ImagenetteArchive.All.Select(a => a.Name))}.",
            DefaultValueFactory = _ => ImagenetteArchive.Px320.Name,
        };
        var dest = new Option<DirectoryInfo>("--dest") { Description = "Folder to download and extract into.", Required = true };
        var command = new Command("download", "Download a fast.ai Imagenette archive (resumable, verified) and extract it atomically.") { archive, dest };
        command.SetAction(async (parse, cancellation) =>
        {
            var which = ImagenetteArchive.FromName(parse.GetValue(archive)!);
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(30) };
            string folder = "";
            await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
                .StartAsync(async ctx =>
                {
                    var task = ctx.AddTask(which.FileName, maxValue: which.Size);
                    folder = await new ImagenetteDownloader(http).DownloadAndExtractAsync(which, parse.GetValue(dest)!.FullName,
                        new Progress<DownloadProgress>(p => task.Value = p.BytesDone), cancellation);
                });
            AnsiConsole.MarkupLineInterpolated($"[green]ready[/]: {folder} (use it with --data or {ImageFolderDataset.RootVariable})");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Verify()
    {
        var data = new DataOptions();
        var command = new Command("verify", "Index a dataset folder, decode every image, and report its classes, counts, warnings and fingerprint.");
        foreach (var option in data.All)
            command.Options.Add(option);
        command.SetAction((parse, cancellation) =>
        {
            var dataset = data.Open(parse);
            DatasetOptions.CheckDecodable([.. dataset.Train, .. dataset.Val], cancellation);
            var table = new Table().AddColumns("label", "folder", "class", "train", "val");
            var train = dataset.Train.CountBy(i => i.Label).ToDictionary();
            var val = dataset.Val.CountBy(i => i.Label).ToDictionary();
            foreach (var c in dataset.Classes)
                table.AddRow(c.Index.ToString(), c.Id.EscapeMarkup(), c.Name.EscapeMarkup(), train.GetValueOrDefault(c.Index).ToString(), val.GetValueOrDefault(c.Index).ToString());
            AnsiConsole.Write(table);
            DatasetOptions.ShowWarnings(dataset);
            AnsiConsole.MarkupLineInterpolated($"{dataset.Root}: {dataset.Classes.Count} classes ({dataset.ClassesSource}), {dataset.Train.Count} train, {dataset.Val.Count} val images{(dataset.Split is { } s ? $" ({s})" : "")}, all decode; {dataset.Warnings.Count} warnings, fingerprint {dataset.Fingerprint}");
            return Task.FromResult(ExitCodes.Ok);
        });
        return command;
    }

    private static Command Cache()
    {
        var data = new DataOptions();
        var side = new Option<int>("--short-side") { Description = "Short side to decode to (144 for 128 px training).", DefaultValueFactory = _ => 144 }.Within(32, 4096);
        var command = new Command("cache", "Decode every image once into the memory-mapped cache training and validation read.") { side };
        foreach (var option in data.All)
            command.Options.Add(option);
        command.SetAction((parse, cancellation) =>
        {
            var dataset = data.Open(parse);
            int shortSide = parse.GetValue(side);
            foreach (var (name, images) in new[] { ("train", dataset.Train), ("val", dataset.Val) })
            {
                AnsiConsole.Progress().Start(ctx =>
                {
                    var task = ctx.AddTask($"{name} @ {shortSide}px", maxValue: images.Count);
                    using var cache = DecodedImageCache.BuildOrOpen(images, shortSide, dataset.Fingerprint,
                        progress: new Progress<CacheProgress>(p => task.Value = p.Done), ct: cancellation);
                    task.Value = images.Count;
                    AnsiConsole.MarkupLineInterpolated($"{name}: {cache.Count} images in {cache.FilePath}");
                });
            }
            return Task.FromResult(ExitCodes.Ok);
        });
        return command;
    }
}
