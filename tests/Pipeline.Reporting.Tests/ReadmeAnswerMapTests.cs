using Pipeline.Reporting.Results;
using Pipeline.Testing;

namespace Pipeline.Reporting.Tests;

/// <summary>The README's generated answer map: only the lines between its markers are rewritten, and bad markers are named with the fix.</summary>
public sealed class ReadmeAnswerMapTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("readme-map-").FullName;
    private string Readme => Path.Combine(_folder, "README.md");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>A front door, not a change log: about 10 KB written by hand.</summary>
    private const int ReadmeMaxBytesByHand = 11_000;

    /// <summary>The generated map grows by a line per depth and recipe measured; past this it wants a shorter form.</summary>
    private const int AnswerMapMaxBytes = 5_000;

    [Fact]
    public void The_readme_is_a_front_door_of_at_most_11000_bytes_by_hand_and_5000_of_generated_answer_map()
    {
        string path = Path.Combine(TestRepository.Root, "README.md");
        string readme = File.ReadAllText(path);
        int map = System.Text.Encoding.UTF8.GetByteCount(ReadmeAnswerMap.Current(readme, path));
        int byHand = System.Text.Encoding.UTF8.GetByteCount(readme) - map;

        Assert.True(byHand <= ReadmeMaxBytesByHand,
            $"{path} holds {byHand:N0} bytes written by hand; expected at most {ReadmeMaxBytesByHand:N0}. It is the front door: the question, " +
            "the answer, the two set-up commands, the diagram, the layout and links. Move the rest to a page under docs/ and link it.");
        Assert.True(map <= AnswerMapMaxBytes,
            $"{path}: its generated answer map is {map:N0} bytes; expected at most {AnswerMapMaxBytes:N0}. Shorten what AnswerMapSection.Map " +
            "writes (the results page shows the same map), then run `dotnet cake --target=Results`.");
    }

    private static string Around(string map) =>
        $"# A project\n\n**The answer so far**:\n\n{ReadmeAnswerMap.Begin}\n{map}{ReadmeAnswerMap.End}\n\n## Set-up\n";

    [Fact]
    public void Update_rewrites_only_the_lines_between_the_markers_and_leaves_an_unchanged_map_untouched()
    {
        File.WriteAllText(Readme, Around("- a typed claim that went stale\n"));

        Assert.True(ReadmeAnswerMap.Update(Readme, "- **Short runs**: +5.20 pp\n"));
        Assert.Equal(Around("- **Short runs**: +5.20 pp\n"), File.ReadAllText(Readme));
        Assert.Equal("- **Short runs**: +5.20 pp\n", ReadmeAnswerMap.Current(File.ReadAllText(Readme), Readme));

        var written = File.GetLastWriteTimeUtc(Readme);
        File.SetLastWriteTimeUtc(Readme, written.AddDays(-1));
        Assert.False(ReadmeAnswerMap.Update(Readme, "- **Short runs**: +5.20 pp\n"));
        Assert.Equal(written.AddDays(-1), File.GetLastWriteTimeUtc(Readme));
    }

    public static TheoryData<string, string> BadMarkers => new()
    {
        { "# A project\n\nno markers at all\n", "no begin marker" },
        { $"# A project\n\n{ReadmeAnswerMap.Begin}\n- map\n", "no end marker" },
        { $"{ReadmeAnswerMap.Begin}\n- map\n{ReadmeAnswerMap.End}\n{ReadmeAnswerMap.Begin}\n", "twice" },
        { $"{ReadmeAnswerMap.Begin}\n- map\n{ReadmeAnswerMap.End}\n{ReadmeAnswerMap.End}\n", "twice" },
        { $"{ReadmeAnswerMap.End}\n- map\n{ReadmeAnswerMap.Begin}\n", "before its begin marker" },
        { $"{ReadmeAnswerMap.Begin} {ReadmeAnswerMap.End}\n", "on the same line" },
        { $"# A project\n{ReadmeAnswerMap.End}\n{ReadmeAnswerMap.Begin}", "before its begin marker" },
    };

    [Theory]
    [MemberData(nameof(BadMarkers))]
    public void Missing_repeated_or_reversed_markers_are_named_with_the_file_and_the_fix_and_the_file_is_kept(string readme, string why)
    {
        File.WriteAllText(Readme, readme);

        var error = Assert.Throws<InvalidDataException>(() => ReadmeAnswerMap.Update(Readme, "- map\n"));

        Assert.Contains(Readme, error.Message, StringComparison.Ordinal);
        Assert.Contains(why, error.Message, StringComparison.Ordinal);
        Assert.Contains(ReadmeAnswerMap.Begin, error.Message, StringComparison.Ordinal);
        Assert.Equal(readme, File.ReadAllText(Readme));
    }

    [Fact]
    public void A_map_that_holds_a_marker_line_is_refused_before_the_readme_is_touched()
    {
        File.WriteAllText(Readme, Around("- old\n"));

        Assert.Throws<ArgumentException>(() => ReadmeAnswerMap.Update(Readme, $"- new\n{ReadmeAnswerMap.End}\n"));
        Assert.Equal(Around("- old\n"), File.ReadAllText(Readme));
    }

    [Fact]
    public void A_readme_that_does_not_exist_is_named()
    {
        var error = Assert.Throws<FileNotFoundException>(() => ReadmeAnswerMap.Update(Readme, "- map\n"));

        Assert.Contains(Readme, error.Message, StringComparison.Ordinal);
    }
}
