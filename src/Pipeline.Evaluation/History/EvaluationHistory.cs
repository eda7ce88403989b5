using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Pipeline.Evaluation.History;

/// <summary>
/// The evaluation history: one SQLite file, one row per model per run. Scheduled runs append to it
/// concurrently: the database is in WAL mode, every run is one <c>BEGIN IMMEDIATE</c> transaction
/// (writers queue on SQLite's lock, waiting up to <see cref="BusyTimeout"/>), so a run's records are
/// all there or none are, and two runs never interleave or corrupt it.
/// </summary>
public sealed class EvaluationHistory
{
    public static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(60);
    private const int SchemaVersion = 1;

    public string Path { get; }

    /// <summary>Test hook: runs after each insert of <see cref="Append"/>, inside its transaction.</summary>
    internal Action<int>? AfterInsert { get; set; }

    private EvaluationHistory(string path) => Path = path;

    /// <summary>Opens (creating if needed) the history at <paramref name="path"/>.</summary>
    public static EvaluationHistory Open(string path)
    {
        path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        var history = new EvaluationHistory(path);
        using var connection = history.Connect();
        using (var wal = connection.CreateCommand())
        {
            // Persistent in the file; needs no transaction around it.
            wal.CommandText = "PRAGMA journal_mode=WAL;";
            string mode = Convert.ToString(wal.ExecuteScalar(), CultureInfo.InvariantCulture) ?? "";
            if (!mode.Equals("wal", StringComparison.OrdinalIgnoreCase))
                throw new IOException($"{path}: SQLite would not switch the history to WAL mode (got '{mode}'); is it on a network file system?");
        }
        using var transaction = connection.BeginTransaction(deferred: false);
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            CREATE TABLE IF NOT EXISTS evaluations (
                id                   INTEGER PRIMARY KEY AUTOINCREMENT,
                run_id               TEXT    NOT NULL,
                timestamp_utc        TEXT    NOT NULL,
                model_name           TEXT    NOT NULL,
                model_path           TEXT    NOT NULL,
                model_sha256         TEXT    NOT NULL,
                dataset_fingerprint  TEXT    NOT NULL,
                examples_fingerprint TEXT    NOT NULL,
                examples             INTEGER NOT NULL,
                device               TEXT    NOT NULL,
                project_version      TEXT    NOT NULL,
                top1                 REAL    NOT NULL,
                top5                 REAL,
                macro_accuracy       REAL,
                log_loss             REAL,
                log_loss_reduction   REAL,
                images_per_s         REAL,
                wall_s               REAL,
                previous_id          INTEGER REFERENCES evaluations(id),
                top1_delta_pp        REAL,
                regression           INTEGER NOT NULL DEFAULT 0
            );
            CREATE INDEX IF NOT EXISTS evaluations_by_model ON evaluations (model_name, examples_fingerprint, id);
            """;
        command.ExecuteNonQuery();
        command.CommandText = "PRAGMA user_version;";
        long version = (long)command.ExecuteScalar()!;
        if (version == 0)
        {
            command.CommandText = $"PRAGMA user_version = {SchemaVersion};";
            command.ExecuteNonQuery();
        }
        else if (version != SchemaVersion)
        {
            throw new IOException($"{path}: history schema version {version}, this build knows {SchemaVersion}. Use a newer build or another history file.");
        }
        transaction.Commit();
        return history;
    }

    /// <summary>
    /// Appends one record per model of <paramref name="run"/>, each compared with the model's previous
    /// record on the same examples, in one transaction.
    /// </summary>
    public IReadOnlyList<ModelComparison> Append(EvaluationRun run, double regressionThresholdPp, DateTimeOffset? timestampUtc = null) =>
        Append(run.Models.Select(m => HistoryRecord.From(run, m, timestampUtc ?? DateTimeOffset.UtcNow)).ToArray(), regressionThresholdPp);

    public IReadOnlyList<ModelComparison> Append(IReadOnlyList<HistoryRecord> records, double regressionThresholdPp)
    {
        using var connection = Connect();
        using var transaction = connection.BeginTransaction(deferred: false); // BEGIN IMMEDIATE: take the write lock before reading "previous"
        var comparisons = new List<ModelComparison>();
        for (int i = 0; i < records.Count; i++)
        {
            var previous = Previous(connection, transaction, records[i].ModelName, records[i].ExamplesFingerprint);
            var comparison = new ModelComparison(records[i], previous, regressionThresholdPp);
            long id = Insert(connection, transaction, records[i], comparison);
            comparisons.Add(comparison with { Current = records[i] with { Id = id } });
            AfterInsert?.Invoke(i);
        }
        transaction.Commit();
        return comparisons;
    }

    /// <summary>All records, oldest first; of one model when <paramref name="modelName"/> is given.</summary>
    public IReadOnlyList<HistoryRecord> Records(string? modelName = null)
    {
        using var connection = Connect();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM evaluations" + (modelName is null ? "" : " WHERE model_name = $model") + " ORDER BY id;";
        if (modelName is not null)
            command.Parameters.AddWithValue("$model", modelName);
        using var reader = command.ExecuteReader();
        var records = new List<HistoryRecord>();
        while (reader.Read())
            records.Add(Read(reader));
        return records;
    }

    private SqliteConnection Connect()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = (int)BusyTimeout.TotalSeconds,
        }.ToString());
        connection.Open();
        using var pragmas = connection.CreateCommand();
        pragmas.CommandText = $"PRAGMA busy_timeout = {(int)BusyTimeout.TotalMilliseconds}; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;";
        pragmas.ExecuteNonQuery();
        return connection;
    }

    private const string Columns =
        "id, run_id, timestamp_utc, model_name, model_path, model_sha256, dataset_fingerprint, examples_fingerprint, examples, " +
        "device, project_version, top1, top5, macro_accuracy, log_loss, log_loss_reduction, images_per_s, wall_s";

    private static HistoryRecord? Previous(SqliteConnection connection, SqliteTransaction transaction, string modelName, string examplesFingerprint)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"""
            SELECT {Columns} FROM evaluations
            WHERE model_name = $model AND examples_fingerprint = $examples
            ORDER BY id DESC LIMIT 1;
            """;
        command.Parameters.AddWithValue("$model", modelName);
        command.Parameters.AddWithValue("$examples", examplesFingerprint);
        using var reader = command.ExecuteReader();
        return reader.Read() ? Read(reader) : null;
    }

    private static long Insert(SqliteConnection connection, SqliteTransaction transaction, HistoryRecord r, ModelComparison comparison)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT INTO evaluations (run_id, timestamp_utc, model_name, model_path, model_sha256, dataset_fingerprint,
                examples_fingerprint, examples, device, project_version, top1, top5, macro_accuracy, log_loss,
                log_loss_reduction, images_per_s, wall_s, previous_id, top1_delta_pp, regression)
            VALUES ($run, $ts, $model, $path, $sha, $dataset, $examplesFp, $examples, $device, $version, $top1, $top5,
                $macro, $logLoss, $llr, $ips, $wall, $previous, $delta, $regression)
            RETURNING id;
            """;
        var p = command.Parameters;
        p.AddWithValue("$run", r.RunId);
        p.AddWithValue("$ts", r.TimestampUtc.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        p.AddWithValue("$model", r.ModelName);
        p.AddWithValue("$path", r.ModelPath);
        p.AddWithValue("$sha", r.ModelSha256);
        p.AddWithValue("$dataset", r.DatasetFingerprint);
        p.AddWithValue("$examplesFp", r.ExamplesFingerprint);
        p.AddWithValue("$examples", r.Examples);
        p.AddWithValue("$device", r.Device);
        p.AddWithValue("$version", r.ProjectVersion);
        p.AddWithValue("$top1", double.IsFinite(r.Top1) ? r.Top1 : throw new ArgumentException($"{r.ModelPath}: top-1 is {r.Top1}."));
        p.AddWithValue("$top5", Finite(r.Top5));
        p.AddWithValue("$macro", Finite(r.MacroAccuracy));
        p.AddWithValue("$logLoss", Finite(r.LogLoss));
        p.AddWithValue("$llr", Finite(r.LogLossReduction));
        p.AddWithValue("$ips", Finite(r.ImagesPerSecond));
        p.AddWithValue("$wall", Finite(r.WallSeconds));
        p.AddWithValue("$previous", (object?)comparison.Previous?.Id ?? DBNull.Value);
        p.AddWithValue("$delta", (object?)comparison.Top1DeltaPp ?? DBNull.Value);
        p.AddWithValue("$regression", comparison.IsRegression ? 1 : 0);
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>Non-finite values (log-loss reduction on a one-class slice) are stored as NULL and read back as NaN.</summary>
    private static object Finite(double value) => double.IsFinite(value) ? value : DBNull.Value;

    private static double DoubleOrNaN(SqliteDataReader r, int i) => r.IsDBNull(i) ? double.NaN : r.GetDouble(i);

    private static HistoryRecord Read(SqliteDataReader r) => new()
    {
        Id = r.GetInt64(0),
        RunId = r.GetString(1),
        TimestampUtc = DateTimeOffset.Parse(r.GetString(2), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal),
        ModelName = r.GetString(3),
        ModelPath = r.GetString(4),
        ModelSha256 = r.GetString(5),
        DatasetFingerprint = r.GetString(6),
        ExamplesFingerprint = r.GetString(7),
        Examples = r.GetInt32(8),
        Device = r.GetString(9),
        ProjectVersion = r.GetString(10),
        Top1 = r.GetDouble(11),
        Top5 = DoubleOrNaN(r, 12),
        MacroAccuracy = DoubleOrNaN(r, 13),
        LogLoss = DoubleOrNaN(r, 14),
        LogLossReduction = DoubleOrNaN(r, 15),
        ImagesPerSecond = DoubleOrNaN(r, 16),
        WallSeconds = DoubleOrNaN(r, 17),
    };
}
