namespace Pipeline.Experiments;

/// <summary>
/// The claim on a run folder that keeps two processes (on one machine, or on several sharing the runs folder) from
/// training the same run at once. It is an operating-system lock on <c>run.lock</c> in the run folder (.NET takes an
/// exclusive <c>flock</c> for <see cref="FileShare.None"/>), held while the file stays open: a process that dies,
/// even by <c>kill -9</c>, releases it with its file handles, so a later worker takes the run over and resumes its
/// checkpoint; there is no stale lock to clean up. On a shared file system the lock needs the file system's lock
/// support (NFSv4, CephFS, Lustre, EFS provide it).
/// </summary>
public sealed class RunLock : IDisposable
{
    public const string FileName = "run.lock";

    /// <summary>Who holds the lock, in words, beside it: the locked file itself cannot be opened by others, even to read.</summary>
    public const string HolderFileName = "run.lock.holder";

    private readonly FileStream _file;

    private RunLock(FileStream file) => _file = file;

    /// <summary>The lock on <paramref name="folder"/>, or null with who holds it when another process does.</summary>
    public static RunLock? TryTake(RunFolder folder, out string holder)
    {
        Directory.CreateDirectory(folder.Path);
        string path = Path.Combine(folder.Path, FileName);
        FileStream? file = null;
        try
        {
            file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            AtomicFile.WriteText(Path.Combine(folder.Path, HolderFileName), $"{Environment.MachineName} pid {Environment.ProcessId} since {DateTime.UtcNow:yyyy-MM-dd HH:mm:ss} UTC");
            holder = "";
            var taken = new RunLock(file);
            file = null; // the lock owns it now
            return taken;
        }
        catch (IOException) when (file is null)
        {
            holder = ReadHolder(folder);
            return null;
        }
        finally
        {
            file?.Dispose();
        }
    }

    /// <summary>The lock on <paramref name="folder"/>; a clear error naming the holder when another process trains the run.</summary>
    /// <exception cref="RunSpecException">Another process holds the run.</exception>
    public static RunLock Take(RunFolder folder) =>
        TryTake(folder, out string holder) ?? throw new RunSpecException(
            $"{folder.Path} is being trained by another process ({holder}). Wait for it to finish, or stop it; a stopped run resumes from its last checkpoint.");

    private static string ReadHolder(RunFolder folder)
    {
        try
        {
            return File.ReadAllText(Path.Combine(folder.Path, HolderFileName)).Trim();
        }
        catch (IOException)
        {
            return "holder unknown";
        }
    }

    public void Dispose() => _file.Dispose();
}
