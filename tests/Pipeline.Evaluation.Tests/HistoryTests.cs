using Microsoft.Data.Sqlite;
using Pipeline.Evaluation.History;
using Pipeline.Experiments;

namespace Pipeline.Evaluation.Tests;

/// <summary>The SQLite history: records, comparisons, regressions, atomic and concurrent appends.</summary>
public sealed class HistoryTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("eval-history-").FullName;
    private string Db => Path.Combine(_folder, "history.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    private static HistoryRecord Record(string model, double top1, string run = "r", string examples = "val", string sha = "aaa") => new()
    {
        RunId = run,
        TimestampUtc = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero),
        ModelName = model,
        ModelPath = $"/models/{model}.onnx",
        ModelSha256 = sha,
        DatasetFingerprint = "ds",
        ExamplesFingerprint = examples,
        Examples = 3925,
        Device = "CPU",
        ProjectVersion = "0.1.0",
        Top1 = top1,
        Top5 = 0.95,
        MacroAccuracy = top1 - 0.01,
        LogLoss = 1.2,
        LogLossReduction = double.NaN, // e.g. a one-class slice: stored as NULL
        ImagesPerSecond = 100,
        WallSeconds = 40,
    };

    [Fact]
    public void Records_read_back_as_written_with_utc_timestamps()
    {
        var history = EvaluationHistory.Open(Db);
        history.Append([Record("timm", 0.70)], regressionThresholdPp: 1);

        var r = Assert.Single(history.Records());
        Assert.Equal(Record("timm", 0.70) with { Id = r.Id }, r);
        Assert.Equal(TimeSpan.Zero, r.TimestampUtc.Offset);
    }

    [Fact]
    public void Each_model_is_compared_with_its_best_record_on_the_same_examples()
    {
        var history = EvaluationHistory.Open(Db);
        var first = history.Append([Record("timm", 0.70), Record("tv", 0.75)], 1);
        Assert.All(first, c => Assert.Null(c.Baseline));

        var second = history.Append([Record("timm", 0.68, sha: "bbb"), Record("tv", 0.745), Record("tv", 0.60, examples: "val[:200]")], 1);

        Assert.Equal(-2.0, second[0].Top1DeltaPp!.Value, 6);
        Assert.True(second[0].IsRegression, "a 2 pp drop is beyond a 1 pp threshold");
        Assert.True(second[0].ModelChanged);
        Assert.Equal(-0.5, second[1].Top1DeltaPp!.Value, 6);
        Assert.False(second[1].IsRegression, "a 0.5 pp drop is within a 1 pp threshold");
        Assert.Null(second[2].Baseline); // other examples: not comparable
        Assert.Equal(first[0].Current.Id, second[0].Baseline!.Id);
        Assert.Equal(ModelComparison.BestBaseline, second[0].BaselineKind);
    }

    [Fact]
    public void A_regression_stays_red_on_every_later_run_until_the_model_is_fixed_or_its_baseline_is_pinned()
    {
        var history = EvaluationHistory.Open(Db);
        history.Append([Record("timm", 0.80)], 1);
        bool Regressed() => history.Append([Record("timm", 0.60, sha: "bad")], 1).Single().IsRegression;

        Assert.True(Regressed(), "first run of the bad model");
        // Against the previous record this run would compare 60 % with 60 % and pass while the bad model stays.
        var again = history.Append([Record("timm", 0.60, sha: "bad")], 1).Single();
        Assert.True(again.IsRegression, "second run of the same bad model: still a regression");
        Assert.Equal(0.80, again.Baseline!.Top1);
        Assert.Equal(ModelComparison.BestBaseline, again.BaselineKind);

        // Accepted on purpose: its latest record becomes the baseline.
        var pinned = history.Pin("timm");
        Assert.Equal(0.60, pinned.Top1);
        var accepted = history.Append([Record("timm", 0.60, sha: "bad")], 1).Single();
        Assert.False(accepted.IsRegression);
        Assert.Equal((pinned.Id, ModelComparison.PinnedBaseline), (accepted.Baseline!.Id, accepted.BaselineKind));

        Assert.Equal(1, history.Unpin("timm"));
        Assert.True(Regressed(), "unpinned: compared with the best record again");
        Assert.False(history.Append([Record("timm", 0.80)], 1).Single().IsRegression, "fixed");
    }

    [Fact]
    public void Pinning_names_a_model_without_records_and_a_record_of_another_model()
    {
        var history = EvaluationHistory.Open(Db);
        var other = history.Append([Record("tv", 0.75)], 1).Single().Current;
        history.Append([Record("timm", 0.70)], 1);

        var none = Assert.Throws<EvaluationException>(() => history.Pin("resnet"));
        var wrong = Assert.Throws<EvaluationException>(() => history.Pin("timm", other.Id));

        Assert.Equal(Db, none.FilePath);
        Assert.Contains("no record of model 'resnet'", none.Message);
        Assert.Contains($"record {other.Id} is not a record of model 'timm'", wrong.Message);
    }

    [Fact]
    public void Pinning_in_a_history_not_created_yet_names_the_model_and_creates_nothing()
    {
        var none = Assert.Throws<EvaluationException>(() => EvaluationHistory.Open(Db).Pin("resnet"));

        Assert.Equal(Db, none.FilePath);
        Assert.Contains("no record of model 'resnet'", none.Message);
        Assert.False(File.Exists(Db));
    }

    [Theory]
    [InlineData("text", "not a readable evaluation history")]
    [InlineData("folder", "it is a folder, not a file")]
    [InlineData("below-a-file", "cannot be used as the evaluation history")]
    [InlineData("foreign-table", "not this tool's evaluation history")]
    [InlineData("newer-schema", "history schema version 99")]
    public void A_history_that_cannot_be_used_fails_on_open_naming_the_file_and_the_fix(string kind, string expected)
    {
        string path = Db;
        switch (kind)
        {
            case "text": File.WriteAllText(path, "these are not the records you are looking for\n"); break;
            case "folder": Directory.CreateDirectory(path); break;
            case "below-a-file": File.WriteAllText(path, "a file"); path = Path.Combine(path, "history.db"); break;
            case "foreign-table": Sql(path, "CREATE TABLE evaluations (id INTEGER PRIMARY KEY, note TEXT);"); break;
            case "newer-schema": EvaluationHistory.Open(path); Sql(path, "PRAGMA user_version = 99;"); break;
        }

        var ex = Assert.Throws<EvaluationException>(() => EvaluationHistory.Open(path));

        Assert.Equal(path, ex.FilePath);
        Assert.Contains(expected, ex.Message);
        Assert.Matches("another history file|restore it", ex.Message);
    }

    private static void Sql(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    [Fact]
    public void A_run_that_fails_half_way_leaves_no_record()
    {
        var history = EvaluationHistory.Open(Db);
        history.Append([Record("kept", 0.5)], 1);
        history.AfterInsert = i => { if (i == 1) throw new IOException("disk full (simulated)"); };

        Assert.Throws<IOException>(() => history.Append([Record("a", 0.7, run: "half"), Record("b", 0.7, run: "half"), Record("c", 0.7, run: "half")], 1));

        Assert.Equal(["kept"], history.Records().Select(r => r.ModelName));
    }

    [Fact]
    public void Two_runs_appending_at_once_neither_interleave_nor_corrupt_the_history()
    {
        // Two writers, each its own connection (as two scheduled jobs would be), 25 runs of 4 models each.
        EvaluationHistory.Open(Db);
        const int runs = 25, models = 4;
        void Writer(string name)
        {
            var history = EvaluationHistory.Open(Db);
            for (int run = 0; run < runs; run++)
                history.Append(Enumerable.Range(0, models).Select(m => Record($"m{m}", 0.5 + run / 1000.0, run: $"{name}-{run}")).ToArray(), 1);
        }

        Parallel.Invoke(() => Writer("A"), () => Writer("B"));

        var records = EvaluationHistory.Open(Db).Records();
        Assert.Equal(2 * runs * models, records.Count);
        foreach (var run in records.GroupBy(r => r.RunId))
        {
            var ids = run.Select(r => r.Id).Order().ToArray();
            Assert.True(ids[^1] - ids[0] == models - 1, $"run {run.Key}'s records interleave with another run's: ids {string.Join(",", ids)}");
        }
        using var connection = new SqliteConnection($"Data Source={Db}");
        connection.Open();
        using var check = connection.CreateCommand();
        check.CommandText = "PRAGMA integrity_check;";
        Assert.Equal("ok", check.ExecuteScalar());
        check.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", check.ExecuteScalar());
    }

    [Fact]
    public void Each_record_knows_the_record_it_was_compared_with_and_its_delta_in_the_file()
    {
        var history = EvaluationHistory.Open(Db);
        history.Append([Record("timm", 0.70)], 1);
        history.Append([Record("timm", 0.65)], 1);

        using var connection = new SqliteConnection($"Data Source={Db}");
        connection.Open();
        using var q = connection.CreateCommand();
        q.CommandText = "SELECT previous_id, round(top1_delta_pp, 6), regression FROM evaluations ORDER BY id DESC LIMIT 1;";
        using var r = q.ExecuteReader();
        Assert.True(r.Read());
        Assert.Equal(1L, r.GetInt64(0));
        Assert.Equal(-5.0, r.GetDouble(1));
        Assert.Equal(1L, r.GetInt64(2));
    }
}
