namespace Pipeline.Experiments.Tests;

public sealed class AtomicFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("atomic-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_file_is_replaced_whole_and_no_temporary_file_stays()
    {
        string path = Path.Combine(_dir, "sub", "a.txt");
        AtomicFile.WriteText(path, "old");
        AtomicFile.WriteText(path, "new");
        Assert.Equal("new", File.ReadAllText(path));
        Assert.Equal(["a.txt"], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName));
    }

    [Fact]
    public void A_failed_write_leaves_the_old_file_and_no_temporary_file()
    {
        string path = Path.Combine(_dir, "b.txt");
        AtomicFile.WriteText(path, "old");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.WriteByte(1);
            throw new InvalidOperationException("disk full");
        }));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal(["b.txt"], Directory.GetFiles(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public void Files_written_together_are_all_replaced_or_none_is_left_newer()
    {
        string card = Path.Combine(_dir, "m.md"), blocked = Path.Combine(_dir, "m.onnx");
        Directory.CreateDirectory(blocked); // a folder where the model should go: its rename fails
        Assert.ThrowsAny<IOException>(() => AtomicFile.WriteAll([(card, s => s.WriteByte(1)), (blocked, s => s.WriteByte(2))]));
        Assert.False(File.Exists(card), "the card renamed before the failing model must be removed again");
        Assert.Empty(Directory.GetFiles(_dir));
    }
}
