namespace Pipeline.Experiments;

/// <summary>
/// The one way this project replaces a file: write a uniquely named temporary file beside it, flush it to disk,
/// then rename it over the target. A reader (a resumed run, a web server, an artifact upload) sees the old file or
/// the new one, never half of one; a crash leaves at worst a stray temporary file, and two writers never share one.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/> (which must leave the stream open).</summary>
    public static void Write(string path, Action<Stream> write) => WriteAll([(path, write)]);

    public static void WriteText(string path, string text) =>
        Write(path, s =>
        {
            using var writer = new StreamWriter(s, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false), leaveOpen: true);
            writer.Write(text);
        });

    public static void WriteBytes(string path, byte[] bytes) => Write(path, s => s.Write(bytes));

    /// <summary>
    /// Writes several files that belong together (a model and its card): every temporary file is written and
    /// flushed before any is renamed, and when a rename fails the files already renamed are removed with the rest,
    /// so none of them is left newer than the others.
    /// </summary>
    public static void WriteAll(IReadOnlyList<(string Path, Action<Stream> Write)> files)
    {
        var temps = new List<string>();
        var moved = new List<string>();
        try
        {
            foreach (var (path, write) in files)
            {
                string full = System.IO.Path.GetFullPath(path);
                string dir = System.IO.Path.GetDirectoryName(full)!;
                Directory.CreateDirectory(dir);
                // Same folder as the target, so the rename is atomic on one file system.
                string temp = System.IO.Path.Combine(dir, $".{System.IO.Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
                temps.Add(temp);
                using var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None);
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            for (int i = 0; i < files.Count; i++)
            {
                File.Move(temps[i], files[i].Path, overwrite: true);
                moved.Add(files[i].Path);
            }
        }
        catch
        {
            foreach (string leftover in temps.Concat(files.Count > 1 ? moved : []))
            {
                try { File.Delete(leftover); }
                catch (IOException) { } // best effort: the original error is the one to report
                catch (UnauthorizedAccessException) { }
            }
            throw;
        }
    }
}
