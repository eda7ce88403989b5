using System.Text.RegularExpressions;
using Pipeline.Reporting.Documents;
using Pipeline.Testing;

namespace Pipeline.Reporting.Tests;

/// <summary>One document, two writers: what Markdown writes as text, HTML writes as elements.</summary>
public sealed partial class DocumentTests
{
    private static readonly string Fixture = TestRepository.PathOf("tests/Pipeline.Reporting.Tests/Fixtures/Report/report.json");

    /// <summary>A line of a Markdown table (<c>| a | b |</c>) or its alignment row (<c>|---|:---|</c>), anywhere in a line.</summary>
    [GeneratedRegex(@"^\s*\|.*\|\s*$|\|\s*:?-{3,}:?\s*\|", RegexOptions.Multiline)]
    internal static partial Regex MarkdownTableLine();

    /// <summary>The HTML outside its inline plots (an SVG's text is the plot's, not the report's).</summary>
    internal static string WithoutSvg(string html) => Regex.Replace(html, "<svg.*?</svg>", "", RegexOptions.Singleline);

    [Fact]
    public void No_html_report_contains_a_markdown_table_line_the_answers_table_is_a_table()
    {
        var report = ReportReader.Load(Fixture);
        Assert.Contains(report.Answer, line => MarkdownTableLine().IsMatch(line)); // the answer brings a Markdown table

        string html = WithoutSvg(ReportWriter.ToHtml(report));

        var lines = MarkdownTableLine().Matches(html).Select(m => m.Value).ToArray();
        Assert.True(lines.Length == 0, "Markdown table lines in the HTML report: " + string.Join(" / ", lines));
        Assert.Contains("<tr><th class=\"l\">variant</th><th class=\"l\">zero-init of each block&#39;s last BN γ</th><th class=\"l\">val top-1</th></tr>", html);
        Assert.Contains("<tr><td class=\"l\">timm, <code>zero_init_last=False</code></td><td class=\"l\">no</td><td class=\"l\">62.10 %</td></tr>", html);
        Assert.DoesNotContain("**", html);
        Assert.DoesNotContain("`", html);
    }

    [Fact]
    public void The_style_sheet_is_an_embedded_resource_every_html_page_carries()
    {
        Assert.Contains("td.flag{", HtmlWriter.Css);
        Assert.Contains("tr.highlight td{", HtmlWriter.Css);

        string html = HtmlWriter.Write(new Document("t", [new Paragraph("x")]));

        Assert.Contains("<style>\n" + HtmlWriter.Css + "</style>", html);
        Assert.Contains(HtmlWriter.Css, ReportWriter.ToHtml(ReportReader.Load(Fixture)));
    }

    [Fact]
    public void Markdown_lines_read_into_blocks_write_back_as_the_same_lines()
    {
        string[] answer =
        [
            "**Question?** Here: 3 epochs.",
            "",
            "| epochs | variant | val top-1 |",
            "|---|:---|---:|",
            "| 5 | timm, `zero_init_last=False` | 62.10 % |",
            "| 10 | a \\| b | – |",
            "",
            "First finding.",
            "Second finding, on its own line.",
        ];

        var blocks = MarkdownLines.ToBlocks(answer);

        Assert.Collection(blocks,
            b => Assert.Equal("**Question?** Here: 3 epochs.", Assert.Single(Assert.IsType<Paragraph>(b).Lines)),
            b =>
            {
                var table = Assert.IsType<Table>(b);
                Assert.Equal([Align.None, Align.Left, Align.Right], table.Columns.Select(c => c.Align));
                Assert.Equal(["10", "a | b", "–"], table.Rows[1].Cells.Select(c => c.Text));
            },
            b => Assert.Equal(2, Assert.IsType<Paragraph>(b).Lines.Count));
        Assert.Equal(string.Join("\n", answer) + "\n", MarkdownWriter.Write(new Document("answer", blocks)));
    }

    [Fact]
    public void Markdown_separates_blocks_by_one_blank_line_and_links_only_figures_that_have_a_file()
    {
        var document = new Document("t",
        [
            new Heading(2, "Plots"),
            new Figures([new Figure("inline only", "<svg/>"), new Figure("a", "<svg/>", "a.svg"), new Figure("b", "<svg/>", "b.svg")]),
            new Figures([new Figure("inline only", "<svg/>")]),
            new BulletList(["one", "two"]),
        ]);

        Assert.Equal("## Plots\n\n![a](a.svg)\n\n![b](b.svg)\n\n- one\n- two\n", MarkdownWriter.Write(document));
        Assert.Equal(4, Regex.Matches(HtmlWriter.Write(document), "<svg/>").Count); // HTML inlines every figure
    }

    [Theory]
    [InlineData("**off** and *contribution*", "<strong>off</strong> and <em>contribution</em>")]
    [InlineData("`a**b**<c>` then **b**", "<code>a**b**&lt;c&gt;</code> then <strong>b</strong>")]
    [InlineData("[docs/results/x](../../docs/results/x).", "<a href=\"../../docs/results/x\">docs/results/x</a>.")]
    [InlineData("3 * 4 = 12, a*b", "3 * 4 = 12, a*b")]
    [InlineData("<script>", "&lt;script&gt;")]
    public void Inline_markdown_becomes_elements_and_the_rest_is_encoded(string markdown, string html)
    {
        Assert.Equal(html, HtmlWriter.Inline(markdown));
    }

    [Fact]
    public void Html_tables_align_text_left_and_mark_flagged_cells_and_highlighted_rows()
    {
        var table = new Table([new Column("name", Align.Left), new Column("top-1 %", Align.Right), new Column("note")],
            [new Row(["a", new Cell("20.00", Flagged: true), "x"], Highlighted: true)]);

        string html = HtmlWriter.Write(new Document("t", [table]));

        Assert.Contains("<tr><th class=\"l\">name</th><th>top-1 %</th><th class=\"l\">note</th></tr>", html);
        Assert.Contains("<tr class=\"highlight\"><td class=\"l\">a</td><td class=\"flag\">20.00</td><td class=\"l\">x</td></tr>", html);
        Assert.Equal("| name | top-1 % | note |\n|:---|---:|---|\n| a | 20.00 | x |\n", MarkdownWriter.Write(new Document("t", [table])));
    }
}
