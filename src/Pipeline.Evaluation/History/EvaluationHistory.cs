using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Pipeline.Evaluation.History;

/// <summary>
/// The evaluation history: one SQLite file, one row per model per run. Scheduled runs append to it
/// concurrently: the database is in WAL mode, every run is one <c>BEGIN IMMEDIATE</c> transaction
/// (writers queue on SQLite's lock, waiting up to <see cref="BusyTimeout"/>), so a run's records are
/// all there or none are, and two runs never interleave or corrupt it.
/// </summary>
/// <remarks>
/// Each new record is compared with the model's <b>baseline</b> on the same examples: the record pinned with
/// <see cref="Pin"/>, else the model's best record. Not the previous record: then a regression would be flagged once
/// and the next run, compared with the regressed record, would pass while the bad model stays. Against the baseline a
/// scheduled job stays red until the model is fixed or the baseline is deliberately moved (pinned).
/// </remarks>
public sealed class EvaluationHistory
{
    public static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(60);
    private const int SchemaVersion = 1;

    public string Path { get; }

    /// <summary>Test hook: runs after each insert of <see cref="Append"/>, inside its transaction.</summary>
    internal Action<int>? AfterInsert { get; set; }

    private EvaluationHistory(string path) => Path = path;

    /// <summary>
    /// Opens the history at <paramref name="path"/> and proves it usable before anything is scored: readable, an
    /// evaluation history (or empty), undamaged, and writable; a new one, that it can be created (its first write creates
    /// it). A run that would end unable to record its results fails here, in a second, rather than after scoring every model.
    /// </summary>
    /// <exception cref="EvaluationException">The file cannot be the history; the message names it and says what to do.</exception>
    public static EvaluationHistory Open(string path)
    {
        path = System.IO.Path.GetFullPath(path);
        try
        {
            return OpenChecked(path);
        }
        catch (SqliteException ex)
        {
            throw new EvaluationException(path, Explain(ex), ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new EvaluationException(path, $"cannot be used as the evaluation history: {ex.Message} Pass another history file, or fix the path. Nothing was scored.", ex);
        }
    }

    private static EvaluationHistory OpenChecked(string path)
    {
        if (Directory.Exists(path))
            throw new IOException("it is a folder, not a file.");
        var history = new EvaluationHistory(path);
        if (File.Exists(path))
            history.Prepare();
        else
            ProveCreatable(path); // the first write creates it: a run that records nothing leaves no file behind
        return history;
    }

    /// <summary>
    /// Whether the history could be created: its nearest existing folder must be a folder and writable. Nothing is left
    /// there (the probe file is deleted on close, no folder is made).
    /// </summary>
    private static void ProveCreatable(string path)
    {
        string folder = System.IO.Path.GetDirectoryName(path)!;
        while (!Directory.Exists(folder))
        {
            if (File.Exists(folder))
                throw new IOException($"'{folder}' is a file, not a folder.");
            folder = System.IO.Path.GetDirectoryName(folder)!;
        }
        string probe = System.IO.Path.Combine(folder, $".{System.IO.Path.GetFileName(path)}.{Environment.ProcessId}.probe");
        using (File.Create(probe, 1, FileOptions.DeleteOnClose)) { }
    }

    /// <summary>Creates the history if it is new, and proves it usable: WAL mode, undamaged, this tool's schema, writable.</summary>
    private void Prepare()
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        using var connection = Connect();
        using (var wal = connection.CreateCommand())
        {
            // Persistent in the file; needs no transaction around it.
            wal.CommandText = "PRAGMA journal_mode=WAL;";
            string mode = Convert.ToString(wal.ExecuteScalar(), CultureInfo.InvariantCulture) ?? "";
            if (!mode.Equals("wal", StringComparison.OrdinalIgnoreCase))
                throw new IOException($"SQLite would not switch the history to WAL mode (got '{mode}'); is it read-only, or on a network file system?");
        }
        using var transaction = connection.BeginTransaction(deferred: false);
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "PRAGMA quick_check;";
        if (Convert.ToString(command.ExecuteScalar(), CultureInfo.InvariantCulture) is var check and not "ok")
            throw new SqliteException($"damaged: {check}", 11); // SQLITE_CORRUPT
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
            CREATE TABLE IF NOT EXISTS baselines (
                model_name           TEXT    NOT NULL,
                examples_fingerprint TEXT    NOT NULL,
                record_id            INTEGER NOT NULL REFERENCES evaluations(id),
                pinned_utc           TEXT    NOT NULL,
                PRIMARY KEY (model_name, examples_fingerprint)
            );
            """;
        command.ExecuteNonQuery();
        command.CommandText = "PRAGMA user_version;";
        long version = (long)command.ExecuteScalar()!;
        if (version != 0 && version != SchemaVersion)
            throw new IOException($"history schema version {version}, this build knows {SchemaVersion}. Use a newer build or another history file.");
        // A table of that name from another tool fails here, not on the first insert after scoring.
        command.CommandText = $"SELECT {Columns}, previous_id, top1_delta_pp, regression FROM evaluations LIMIT 0;";
        command.ExecuteNonQuery();
        // Written on every open, so a read-only file fails now (SQLITE_READONLY), before anything is scored.
        command.CommandText = $"PRAGMA user_version = {SchemaVersion};";
        command.ExecuteNonQuery();
        transaction.Commit();
    }

    /// <summary>Creates the history on its first write (see <see cref="ProveCreatable"/>).</summary>
    private void PrepareIfNew()
    {
        if (!File.Exists(Path))
            Prepare();
    }

    /// <summary>What an SQLite error on opening means for the user, and what to do.</summary>
    private static string Explain(SqliteException ex) => ex.SqliteErrorCode switch
    {
        11 or 26 => $"not a readable evaluation history (SQLite: {ex.Message.TrimEnd('.')}). It is damaged or not an SQLite file: " +
                    "move it aside (a new history starts) or restore it from a backup, or pass another history file. Nothing was scored.",
        3 or 8 or 23 => $"the history is read-only here (SQLite: {ex.Message.TrimEnd('.')}). Make it writable, or pass another history file. Nothing was scored.",
        14 => $"cannot be opened for writing (SQLite: {ex.Message.TrimEnd('.')}). Check that its folder exists and is writable, " +
              "or pass another history file. Nothing was scored.",
        1 => $"not this tool's evaluation history (SQLite: {ex.Message.TrimEnd('.')}). Pass another history file. Nothing was scored.",
        _ => $"cannot be used as the evaluation history (SQLite: {ex.Message.TrimEnd('.')}). Pass another history file. Nothing was scored.",
    };

    /// <summary>
    /// Appends one record per model of <paramref name="run"/>, each compared with the model's baseline on the same
    /// examples (pinned, else its best record), in one transaction.
    /// </summary>
    public IReadOnlyList<ModelComparison> Append(EvaluationRun run, double regressionThresholdPp, DateTimeOffset? timestampUtc = null) =>
        Append(run.Models.Select(m => HistoryRecord.From(run, m, timestampUtc ?? DateTimeOffset.UtcNow)).ToArray(), regressionThresholdPp);

    public IReadOnlyList<ModelComparison> Append(IReadOnlyList<HistoryRecord> records, double regressionThresholdPp)
    {
        PrepareIfNew();
        using var connection = Connect();
        using var transaction = connection.BeginTransaction(deferred: false); // BEGIN IMMEDIATE: take the write lock before reading the baseline
        var comparisons = new List<ModelComparison>();
        for (int i = 0; i < records.Count; i++)
        {
            var (baseline, kind) = Baseline(connection, transaction, records[i].ModelName, records[i].ExamplesFingerprint);
            var comparison = new ModelComparison(records[i], baseline, regressionThresholdPp, kind);
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
        if (!File.Exists(Path))
            return [];
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

    /// <summary>The record a new one is compared with: the pinned one, else the best (the latest of equals); null for a first record.</summary>
    private static (HistoryRecord? Record, string Kind) Baseline(SqliteConnection connection, SqliteTransaction transaction, string modelName, string examplesFingerprint)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.Parameters.AddWithValue("$model", modelName);
        command.Parameters.AddWithValue("$examples", examplesFingerprint);
        command.CommandText = $"""
            SELECT {Columns} FROM evaluations WHERE id =
                (SELECT record_id FROM baselines WHERE model_name = $model AND examples_fingerprint = $examples);
            """;
        using (var pinned = command.ExecuteReader())
        {
            if (pinned.Read())
                return (Read(pinned), ModelComparison.PinnedBaseline);
        }
        command.CommandText = $"""
            SELECT {Columns} FROM evaluations
            WHERE model_name = $model AND examples_fingerprint = $examples
            ORDER BY top1 DESC, id DESC LIMIT 1;
            """;
        using var best = command.ExecuteReader();
        return best.Read() ? (Read(best), ModelComparison.BestBaseline) : (null, ModelComparison.BestBaseline);
    }

    /// <summary>
    /// Makes record <paramref name="recordId"/> of <paramref name="modelName"/> (default: its latest record) the
    /// model's baseline on that record's examples: later records are compared with it, not with the best one. The
    /// deliberate way to accept a model that is worse by design (shorter training, int8) or to restart after a fix.
    /// </summary>
    /// <returns>The record now pinned.</returns>
    /// <exception cref="EvaluationException">The model has no such record.</exception>
    public HistoryRecord Pin(string modelName, long? recordId = null)
    {
        if (!File.Exists(Path))
            throw NoRecord(modelName, recordId);
        using var connection = Connect();
        using var transaction = connection.BeginTransaction(deferred: false);
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.Parameters.AddWithValue("$model", modelName);
        command.Parameters.AddWithValue("$id", (object?)recordId ?? DBNull.Value);
        command.CommandText = $"""
            SELECT {Columns} FROM evaluations
            WHERE model_name = $model AND ($id IS NULL OR id = $id)
            ORDER BY id DESC LIMIT 1;
            """;
        HistoryRecord record;
        using (var reader = command.ExecuteReader())
        {
            if (!reader.Read())
                throw NoRecord(modelName, recordId);
            record = Read(reader);
        }
        command.Parameters.AddWithValue("$examples", record.ExamplesFingerprint);
        command.Parameters.AddWithValue("$record", record.Id);
        command.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        command.CommandText = """
            INSERT INTO baselines (model_name, examples_fingerprint, record_id, pinned_utc) VALUES ($model, $examples, $record, $now)
            ON CONFLICT (model_name, examples_fingerprint) DO UPDATE SET record_id = excluded.record_id, pinned_utc = excluded.pinned_utc;
            """;
        command.ExecuteNonQuery();
        transaction.Commit();
        return record;
    }

    private EvaluationException NoRecord(string modelName, long? recordId) => new(Path, recordId is long id
        ? $"record {id} is not a record of model '{modelName}'. Pin one of its records (omit the record to pin its latest)."
        : $"no record of model '{modelName}'. Evaluate it first, or check the model name (the file name without .onnx).");

    /// <summary>Removes the model's pinned baselines: it is compared with its best record again. Returns how many were removed.</summary>
    public int Unpin(string modelName)
    {
        if (!File.Exists(Path))
            return 0;
        using var connection = Connect();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM baselines WHERE model_name = $model;";
        command.Parameters.AddWithValue("$model", modelName);
        return command.ExecuteNonQuery();
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
        p.AddWithValue("$previous", (object?)comparison.Baseline?.Id ?? DBNull.Value); // the column predates baselines: the record compared with
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
