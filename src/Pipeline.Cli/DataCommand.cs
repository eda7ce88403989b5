using System.CommandLine;
using Pipeline.Data;
using Spectre.Console;

namespace Pipeline.Cli;

public static class DataCommand
{
    public static Command Create() => new("data", "Imagenette: download an official archive, verify a folder, build the decoded cache.")
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
            AnsiConsole.MarkupLineInterpolated($"[green]ready[/]: {folder} (use it with --data or {ImagenetteDataset.RootVariable})");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Verify()
    {
        var data = DatasetOptions.Data();
        var command = new Command("verify", "Index a dataset folder, decode every image, and report counts, warnings and its fingerprint.") { data };
        command.SetAction((parse, cancellation) =>
        {
            var dataset = DatasetOptions.Open(parse.GetValue(data));
            DatasetOptions.CheckDecodable([.. dataset.Train, .. dataset.Val], cancellation);
            var table = new Table().AddColumns("wnid", "class", "train", "val");
            foreach (var c in ImagenetteClasses.All)
                table.AddRow(c.Wnid, c.Name, dataset.Train.Count(i => i.Label == c.Index).ToString(), dataset.Val.Count(i => i.Label == c.Index).ToString());
            AnsiConsole.Write(table);
            DatasetOptions.ShowWarnings(dataset);
            AnsiConsole.MarkupLineInterpolated($"{dataset.Root}: {dataset.Train.Count} train, {dataset.Val.Count} val images, all decode; {dataset.Warnings.Count} warnings, fingerprint {dataset.Fingerprint}");
            return Task.FromResult(ExitCodes.Ok);
        });
        return command;
    }

    private static Command Cache()
    {
        var data = DatasetOptions.Data();
        var side = new Option<int>("--short-side") { Description = "Short side to decode to (144 for 128 px training).", DefaultValueFactory = _ => 144 }.Within(32, 4096);
        var command = new Command("cache", "Decode every image once into the memory-mapped cache training and validation read.") { data, side };
        command.SetAction((parse, cancellation) =>
        {
            var dataset = DatasetOptions.Open(parse.GetValue(data));
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
