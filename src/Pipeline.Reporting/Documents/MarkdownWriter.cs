namespace Pipeline.Reporting.Documents;

/// <summary>
/// Writes a <see cref="Document"/> as GitHub-flavoured Markdown: one blank line between blocks, tables with their
/// alignment row, figures that have a file as image links (a figure without one is left out: Markdown cannot inline it).
/// </summary>
public static class MarkdownWriter
{
    public static string Write(Document document) =>
        string.Join("\n", document.Blocks.Select(Write).Where(text => text.Length > 0));

    private static string Write(Block block) => block switch
    {
        Heading h => $"{new string('#', h.Level)} {h.Text}\n",
        Paragraph p => Lines(p.Lines),
        BulletList l => Lines(l.Items.Select(item => "- " + item)),
        Table t => Write(t),
        Figures f => string.Join("\n", f.Items.Where(x => x.File is not null).Select(x => $"![{x.Alt}]({x.File})\n")),
        _ => throw new ArgumentOutOfRangeException(nameof(block), block.GetType().Name, "a block the Markdown writer does not know"),
    };

    private static string Write(Table table) =>
        Row(table.Columns.Select(c => c.Header)) +
        "|" + string.Concat(table.Columns.Select(c => c.Align switch { Align.Left => ":---|", Align.Right => "---:|", _ => "---|" })) + "\n" +
        string.Concat(table.Rows.Select(r => Row(r.Cells.Select(c => c.Text))));

    /// <summary>A table row; a | inside a cell is escaped, or it would end the cell.</summary>
    private static string Row(IEnumerable<string> cells) => "| " + string.Join(" | ", cells.Select(c => c.Replace("|", "\\|", StringComparison.Ordinal))) + " |\n";

    private static string Lines(IEnumerable<string> lines) => string.Concat(lines.Select(line => line + "\n"));
}
