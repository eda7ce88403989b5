namespace Pipeline.Reporting.Documents;

/// <summary>
/// Markdown text kept as lines (an experiment's answer, which the console prints and report.json stores) read into
/// blocks: paragraphs, and tables (a row of cells, then the alignment row). Written again by <see cref="MarkdownWriter"/>
/// it gives the same lines back.
/// </summary>
public static class MarkdownLines
{
    public static IReadOnlyList<Block> ToBlocks(IReadOnlyList<string> lines)
    {
        var blocks = new List<Block>();
        var paragraph = new List<string>();
        void EndParagraph()
        {
            if (paragraph.Count > 0)
                blocks.Add(new Paragraph(paragraph.ToArray()));
            paragraph.Clear();
        }

        for (int i = 0; i < lines.Count; i++)
        {
            if (IsTableLine(lines[i]) && i + 1 < lines.Count && Alignments(lines[i + 1]) is { } aligns)
            {
                EndParagraph();
                var header = Cells(lines[i]);
                int end = i + 2;
                while (end < lines.Count && IsTableLine(lines[end]))
                    end++;
                blocks.Add(new Table(
                    header.Select((h, c) => new Column(h, c < aligns.Count ? aligns[c] : Align.None)).ToArray(),
                    lines.Skip(i + 2).Take(end - i - 2).Select(l => new Row(Cells(l).Select(c => new Cell(c)).ToArray())).ToArray()));
                i = end - 1;
            }
            else if (lines[i].Trim().Length == 0)
                EndParagraph();
            else
                paragraph.Add(lines[i]);
        }
        EndParagraph();
        return blocks;
    }

    private static bool IsTableLine(string line) => line.TrimStart().StartsWith('|');

    /// <summary>The alignment row (<c>|---|:---|---:|</c>) as alignments; null when the line is not one.</summary>
    private static IReadOnlyList<Align>? Alignments(string line)
    {
        if (!IsTableLine(line))
            return null;
        var cells = Cells(line);
        if (cells.Any(c => c.Trim(':').Length == 0 || c.Trim(':').Any(ch => ch != '-')))
            return null;
        return cells.Select(c => c.StartsWith(':') && !c.EndsWith(':') ? Align.Left : c.EndsWith(':') && !c.StartsWith(':') ? Align.Right : Align.None).ToArray();
    }

    /// <summary>The cells of a table line, trimmed, a <c>\|</c> read as the | it stands for.</summary>
    private static IReadOnlyList<string> Cells(string line)
    {
        string inner = line.Trim();
        inner = inner[1..]; // the leading |
        if (inner.EndsWith('|') && !inner.EndsWith("\\|", StringComparison.Ordinal))
            inner = inner[..^1];
        var cells = new List<string>();
        var cell = new System.Text.StringBuilder();
        for (int i = 0; i < inner.Length; i++)
        {
            if (inner[i] == '\\' && i + 1 < inner.Length && inner[i + 1] == '|')
            {
                cell.Append('|');
                i++;
            }
            else if (inner[i] == '|')
            {
                cells.Add(cell.ToString().Trim());
                cell.Clear();
            }
            else
                cell.Append(inner[i]);
        }
        cells.Add(cell.ToString().Trim());
        return cells;
    }
}
