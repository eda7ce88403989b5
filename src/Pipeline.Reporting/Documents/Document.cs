namespace Pipeline.Reporting.Documents;

/// <summary>
/// A document built once as data (headings, paragraphs, lists, tables, figures), then written by
/// <see cref="MarkdownWriter"/> or <see cref="HtmlWriter"/>, which only format it. Text in every block is inline
/// Markdown (<c>**bold**</c>, <c>*italic*</c>, <c>`code`</c>, <c>[text](link)</c>): Markdown keeps it, HTML turns it
/// into elements.
/// </summary>
/// <param name="Title">What a browser shows in its tab; the document's own first heading is a block.</param>
public sealed record Document(string Title, IReadOnlyList<Block> Blocks);

public abstract record Block;

/// <summary>Body text, or an aside (run facts, file paths, provenance) that HTML sets smaller and grey.</summary>
public enum TextRole
{
    Body,
    Aside,
}

public sealed record Heading(int Level, string Text) : Block;

/// <summary>One paragraph; each line stays a line of its own in Markdown (which joins them into one paragraph).</summary>
public sealed record Paragraph(IReadOnlyList<string> Lines, TextRole Role = TextRole.Body) : Block
{
    public Paragraph(string text, TextRole role = TextRole.Body) : this([text], role)
    {
    }
}

public sealed record BulletList(IReadOnlyList<string> Items, TextRole Role = TextRole.Body) : Block;

/// <summary>How a column's cells line up: as the reader's default (Markdown <c>---</c>), text on the left, numbers on the right.</summary>
public enum Align
{
    None,
    Left,
    Right,
}

public sealed record Column(string Header, Align Align = Align.None);

/// <param name="Flagged">A value to look at (a gap beyond tolerance, a model at chance): HTML marks the cell.</param>
public sealed record Cell(string Text, bool Flagged = false)
{
    public static implicit operator Cell(string text) => new(text);
}

/// <param name="Highlighted">A row to look at (a regression): HTML marks the row.</param>
public sealed record Row(IReadOnlyList<Cell> Cells, bool Highlighted = false);

public sealed record Table(IReadOnlyList<Column> Columns, IReadOnlyList<Row> Rows) : Block;

/// <summary>An SVG drawing with the words that describe it.</summary>
/// <param name="File">
/// The file it is written to beside the document, which Markdown links to (<c>![alt](file)</c>); null for a figure
/// only an HTML page shows, inlined.
/// </param>
public sealed record Figure(string Alt, string Svg, string? File = null);

/// <summary>Figures side by side where there is room.</summary>
public sealed record Figures(IReadOnlyList<Figure> Items) : Block;
