using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Pipeline.Evaluation;
using Pipeline.Evaluation.Tests.Fixtures;
using Pipeline.Inference;
using Pipeline.Reporting.Tests.Fixtures;

namespace Pipeline.Reporting.Tests;

/// <summary>report.json read back: rendered again unchanged, combined with others, refused with one line when unusable.</summary>
public sealed class ReportReaderTests : IClassFixture<ReportReaderTests.WrittenReports>
{
    /// <summary>Reports written by real <c>evaluate</c> runs on a colour set, once for the class.</summary>
    public sealed class WrittenReports : IDisposable
    {
        public TestModels Models { get; } = new();
        /// <summary>Everything a report can show: a regression, a history trend, learning curves, an agreement check.</summary>
        public string Full { get; }
        /// <summary>Another model on the same examples, without history.</summary>
        public string SameExamples { get; }
        /// <summary>That model on fewer images of the same classes.</summary>
        public string OtherExamples { get; }

        public WrittenReports()
        {
            string root = Models.Folder;
            string runsRoot = Path.Combine(root, "runs");
            TrainingRuns.Write(runsRoot, "timm-zero-s1", [0.21, 0.34, 0.42], resizeScale: 1.25);
            var set = ColourImages.Set(Path.Combine(root, "images"), perClass: 3);
            string trained = Models.Random("timm-zero-s1", seed: 1,
                metadata: TestModels.Metadata(Imagenette.Classes) with { RunName = "timm-zero-s1", Flavour = "timm", ZeroInitLast = true });
            string colour = ColourImages.Model(root, "colour", Imagenette.Classes);
            string history = Path.Combine(root, "history.db");

            Evaluate([trained, colour], set, Path.Combine(root, "first"), history, runsRoot);
            Models.Random("colour", seed: 3, metadata: TestModels.Metadata(Imagenette.Classes, input: 32)); // "retrained", worse: a regression
            Full = Evaluate([trained, colour], set, Path.Combine(root, "full"), history, runsRoot);

            string other = Models.Random("tv-s2", seed: 2);
            SameExamples = Evaluate([other], set, Path.Combine(root, "same-examples"));
            OtherExamples = Evaluate([other], ColourImages.Set(Path.Combine(root, "images"), perClass: 2), Path.Combine(root, "other-examples"));
        }

        private static string Evaluate(string[] models, EvaluationSet set, string reportDirectory, string? history = null, string? runsRoot = null)
        {
            EvaluationJob.Run(new EvaluationJobRequest
            {
                Models = models.Select(m => new ModelToEvaluate(m)).ToArray(),
                Set = set,
                ReportDirectory = reportDirectory,
                HistoryPath = history,
                RunsRoot = runsRoot,
                Options = new EvaluationOptions { Device = ComputeDevice.Cpu },
            });
            return reportDirectory;
        }

        public string NewFolder(string name) => Directory.CreateDirectory(Path.Combine(Models.Folder, name)).FullName;

        public void Dispose()
        {
            SqliteConnection.ClearAllPools();
            Models.Dispose();
        }
    }

    private readonly WrittenReports _f;

    public ReportReaderTests(WrittenReports fixture) => _f = fixture;

    private static string JsonOf(string folder) => Path.Combine(folder, ReportWriter.JsonFileName);

    /// <summary>A report.json changed by <paramref name="edit"/>, written beside the others.</summary>
    private string EditedReport(string name, Func<string, string> edit)
    {
        string path = Path.Combine(_f.NewFolder(name), ReportWriter.JsonFileName);
        File.WriteAllText(path, edit(File.ReadAllText(JsonOf(_f.Full))));
        return path;
    }

    [Fact]
    public void A_loaded_report_renders_the_same_markdown_html_and_json_as_the_original()
    {
        string again = _f.NewFolder("again");

        var files = ReportWriter.Write(ReportReader.Load(_f.Full), again);

        string html = File.ReadAllText(Path.Combine(_f.Full, "report.html"));
        // Every section the file must carry, or the comparison below would prove little.
        Assert.Contains("<h2>Regressions</h2>", html);
        Assert.Contains("<h2>History</h2>", html);
        Assert.Contains("Val top-1 per epoch (trainer)", html);
        Assert.Contains("<h2>Agreement with the trainer</h2>", html);
        Assert.Contains("colour: confusion (row-normalised)", html);
        Assert.Equal(File.ReadAllText(Path.Combine(_f.Full, "report.md")), File.ReadAllText(files.Markdown));
        Assert.Equal(html, File.ReadAllText(files.Html));
        Assert.Equal(File.ReadAllText(JsonOf(_f.Full)), File.ReadAllText(files.Json));
        Assert.Empty(Directory.GetFiles(again, "*.tmp"));
    }

    [Fact]
    public void A_report_folder_and_its_report_json_load_the_same_report()
    {
        var fromFolder = ReportReader.Load(_f.Full);
        var fromFile = ReportReader.Load(JsonOf(_f.Full));

        Assert.Equal(ReportWriter.ToJson(fromFolder), ReportWriter.ToJson(fromFile));
        Assert.Equal(["timm-zero-s1", "colour"], fromFile.Models.Select(m => m.Evaluation.ModelName));
        Assert.Equal(fromFile.Models.Select(m => m.Evaluation), fromFile.Run.Models);
    }

    [Fact]
    public void The_confusion_matrix_is_written_one_row_per_line_under_its_name()
    {
        string[] lines = File.ReadAllLines(JsonOf(_f.Full));
        int at = Array.FindIndex(lines, l => l.TrimStart().StartsWith("\"confusionMatrix\"", StringComparison.Ordinal));
        string indent = lines[at][..(lines[at].Length - lines[at].TrimStart().Length)];

        Assert.True(at > 0, "no confusionMatrix in report.json");
        Assert.All(lines[(at + 1)..(at + 11)], row => Assert.Matches($@"^{indent}  \[\d+(, \d+){{9}}\],?$", row));
        Assert.Matches($@"^{indent}\],?$", lines[at + 11]);
    }

    [Fact]
    public void Two_reports_of_the_same_examples_combine_into_one_with_every_model()
    {
        var first = ReportReader.Load(_f.Full);
        var second = ReportReader.Load(_f.SameExamples);

        var combined = ReportReader.LoadCombined([_f.Full, JsonOf(_f.SameExamples)]);

        Assert.Equal(["timm-zero-s1", "colour", "tv-s2"], combined.Models.Select(m => m.Evaluation.ModelName));
        Assert.Equal(combined.Models.Select(m => m.Evaluation), combined.Run.Models);
        Assert.Equal($"{first.Run.RunId} + {second.Run.RunId}", combined.Run.RunId);
        Assert.Equal(first.History, combined.History); // the second kept no history
        Assert.Equal("colour", Assert.Single(combined.Regressions).Evaluation.ModelName);
        string md = ReportWriter.ToMarkdown(combined);
        Assert.Contains("# Evaluation of 3 model(s) on colours", md);
        Assert.Contains("| tv-s2 | no | fp32 |", md);
        Assert.Contains("| timm-zero-s1 | yes | fp32 |", md);
        Assert.Contains("| tv-s2 | resnet18 | tiny | mean-colour |", md); // the details table
    }

    [Fact]
    public void Reports_of_different_examples_are_refused_naming_both_files()
    {
        var ex = Assert.Throws<EvaluationException>(() => ReportReader.LoadCombined([_f.Full, _f.OtherExamples]));

        Assert.Equal(JsonOf(_f.OtherExamples), ex.FilePath);
        Assert.Contains(JsonOf(_f.Full), ex.Message);
        Assert.Contains("metrics on different sets are not comparable", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void Learning_curves_are_read_again_from_the_runs_folder_when_given()
    {
        string runsRoot = _f.NewFolder("longer-runs");
        TrainingRuns.Write(runsRoot, "timm-zero-s1", [0.21, 0.34, 0.42, 0.5]);

        var recorded = ReportReader.Load(_f.Full);
        var reread = recorded.WithTrainingRunsFrom(runsRoot);

        Assert.Equal(3, recorded.Models[0].TrainingRun!.Epochs.Count);
        Assert.Equal(4, reread.Models[0].TrainingRun!.Epochs.Count);
        Assert.Contains("4 epoch(s)", ReportWriter.ToMarkdown(reread));
        Assert.Equal(recorded.Models[0].Agreement, reread.Models[0].Agreement); // as evaluated
        Assert.Null(reread.Models[1].TrainingRun);
    }

    [Fact]
    public void A_report_of_another_schema_is_refused_naming_the_file_and_the_fix()
    {
        string path = EditedReport("schema-1", json => json.Replace(ReportWriter.JsonSchema, "pipeline.evaluation-report/1"));

        var ex = Assert.Throws<EvaluationException>(() => ReportReader.Load(path));

        Assert.Equal(path, ex.FilePath);
        Assert.Contains("'pipeline.evaluation-report/1'", ex.Message);
        Assert.Contains("Re-run `pipeline evaluate`", ex.Message);
    }

    [Fact]
    public void Invalid_json_is_refused_naming_the_file()
    {
        string path = EditedReport("truncated", json => json[..(json.Length / 2)]);

        var ex = Assert.Throws<EvaluationException>(() => ReportReader.Load(path));

        Assert.StartsWith(path + ": not a readable evaluation report", ex.Message);
        Assert.Contains("Re-run `pipeline evaluate`", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void A_report_missing_a_field_is_refused_naming_the_file_and_the_field()
    {
        string path = EditedReport("no-metrics", json =>
        {
            var root = JsonNode.Parse(json)!;
            root["models"]![1]!.AsObject().Remove("metrics");
            return root.ToJsonString();
        });

        var ex = Assert.Throws<EvaluationException>(() => ReportReader.Load(path));

        Assert.Equal(path, ex.FilePath);
        Assert.True(ex.Message.Contains("'metrics'") && ex.Message.Contains("$.models[1]"), "expected the field and where it is missing, got: " + ex.Message);
    }

    [Fact]
    public void Json_that_is_no_report_is_refused_naming_the_file()
    {
        string path = EditedReport("plan", _ => """{ "models": ["models"] }""");

        var ex = Assert.Throws<EvaluationException>(() => ReportReader.Load(path));

        Assert.Equal(path, ex.FilePath);
        Assert.Contains("not an evaluation report", ex.Message);
    }

    [Fact]
    public void A_missing_report_is_refused_naming_the_path_it_looked_for()
    {
        string empty = _f.NewFolder("empty");
        string missing = Path.Combine(_f.Models.Folder, "nowhere", "report.json");

        var inFolder = Assert.Throws<EvaluationException>(() => ReportReader.Load(empty));
        var file = Assert.Throws<EvaluationException>(() => ReportReader.Load(missing));

        Assert.Equal(JsonOf(empty), inFolder.FilePath);
        Assert.Equal(missing, file.FilePath);
        Assert.StartsWith(missing + ": no such report", file.Message);
    }
}
