using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Pipeline.Reporting.Documents;

/// <summary>
/// Writes a <see cref="Document"/> as one self-contained HTML page: the style sheet (<see cref="Css"/>, an embedded
/// resource) and every figure's SVG inline, no scripts, nothing fetched.
/// </summary>
public static partial class HtmlWriter
{
    public const string CssResource = "Pipeline.Reporting.Documents.report.css";

    /// <summary>The style sheet every page carries, from the assembly's resource <see cref="CssResource"/>.</summary>
    public static string Css { get; } = ReadCss();

    private static string ReadCss()
    {
        using var stream = typeof(HtmlWriter).Assembly.GetManifestResourceStream(CssResource)
            ?? throw new InvalidOperationException($"the resource {CssResource} is missing from {typeof(HtmlWriter).Assembly.GetName().Name}: the build lost Documents/report.css.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    public static string Write(Document document)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
            .Append("<title>").Append(WebUtility.HtmlEncode(document.Title)).Append("</title>\n")
            .Append("<style>\n").Append(Css).Append("</style></head><body>\n");
        foreach (var block in document.Blocks)
            html.Append(Write(block));
        return html.Append("</body></html>\n").ToString();
    }

    private static string Write(Block block) => block switch
    {
        Heading h => $"<h{h.Level}>{Inline(h.Text)}</h{h.Level}>\n",
        Paragraph p => $"<p{Role(p.Role)}>{string.Join("\n", p.Lines.Select(Inline))}</p>\n",
        BulletList l => $"<ul{Role(l.Role)}>\n" + string.Concat(l.Items.Select(i => $"<li>{Inline(i)}</li>\n")) + "</ul>\n",
        Table t => Write(t),
        Figures f => "<div class=\"plots\">\n" + string.Concat(f.Items.Select(x => x.Svg + "\n")) + "</div>\n",
        _ => throw new ArgumentOutOfRangeException(nameof(block), block.GetType().Name, "a block the HTML writer does not know"),
    };

    private static string Role(TextRole role) => role == TextRole.Aside ? " class=\"meta\"" : "";

    /// <summary>In a scrolling box: on a narrow window a wide table scrolls inside it, not the whole page.</summary>
    private static string Write(Table table)
    {
        var html = new StringBuilder("<div class=\"wide\"><table>\n<tr>");
        foreach (var column in table.Columns)
            html.Append($"<th{Class(column.Align, false)}>{Inline(column.Header)}</th>");
        html.Append("</tr>\n");
        foreach (var row in table.Rows)
        {
            html.Append(row.Highlighted ? "<tr class=\"highlight\">" : "<tr>");
            for (int i = 0; i < row.Cells.Count; i++)
                html.Append($"<td{Class(i < table.Columns.Count ? table.Columns[i].Align : Align.Right, row.Cells[i].Flagged)}>{Inline(row.Cells[i].Text)}</td>");
            html.Append("</tr>\n");
        }
        return html.Append("</table></div>\n").ToString();
    }

    /// <summary>CSS aligns cells right (numbers); a column aligned left, or as the reader likes, is text (class l).</summary>
    private static string Class(Align align, bool flagged)
    {
        var classes = new List<string>();
        if (align != Align.Right)
            classes.Add("l");
        if (flagged)
            classes.Add("flag");
        return classes.Count == 0 ? "" : $" class=\"{string.Join(' ', classes)}\"";
    }

    /// <summary>
    /// Inline Markdown as HTML, the text encoded: <c>`code`</c> (kept literal), then <c>[text](link)</c>,
    /// <c>**bold**</c> and <c>*italic*</c>.
    /// </summary>
    public static string Inline(string markdown)
    {
        var html = new StringBuilder();
        int at = 0;
        foreach (Match code in CodeSpan().Matches(markdown))
        {
            html.Append(Emphasis(markdown[at..code.Index])).Append("<code>").Append(WebUtility.HtmlEncode(code.Groups[1].Value)).Append("</code>");
            at = code.Index + code.Length;
        }
        return html.Append(Emphasis(markdown[at..])).ToString();
    }

    private static string Emphasis(string markdown)
    {
        string html = WebUtility.HtmlEncode(markdown);
        html = Link().Replace(html, "<a href=\"$2\">$1</a>");
        html = Bold().Replace(html, "<strong>$1</strong>");
        return Italic().Replace(html, "<em>$1</em>");
    }

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex CodeSpan();

    [GeneratedRegex(@"\[([^\]]+)\]\(([^)\s]+)\)")]
    private static partial Regex Link();

    [GeneratedRegex(@"\*\*(\S(?:.*?\S)?)\*\*")]
    private static partial Regex Bold();

    [GeneratedRegex(@"(?<![*\w])\*(?![\s*])(.+?)(?<![\s*])\*(?![*\w])")]
    private static partial Regex Italic();
}
