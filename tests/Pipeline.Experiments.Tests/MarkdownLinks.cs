using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Pipeline.Experiments.Tests;

/// <summary>
/// The relative links of Markdown files, and whether each lands: the target file or folder exists, and a
/// <c>#anchor</c> into a Markdown file names one of its headings as GitHub slugs them. Links inside code (fenced or
/// indented blocks, <c>`spans`</c>) are text, not links, and are skipped; so are links with a scheme
/// (<c>https:</c>, <c>mailto:</c>).
/// </summary>
internal static partial class MarkdownLinks
{
    /// <summary>A link that does not land: where it is (path relative to the root, 1-based line) and why.</summary>
    public sealed record Broken(string File, int Line, string Target, string Reason)
    {
        public override string ToString() => $"{File}:{Line}: ({Target}) {Reason}";
    }

    /// <summary>
    /// Every relative link of <paramref name="files"/> that does not land, in file and line order. A link that leaves
    /// <paramref name="root"/> does not land either: it would point nowhere in a clone or on the forge.
    /// </summary>
    public static IReadOnlyList<Broken> Check(string root, IEnumerable<string> files)
    {
        root = Path.GetFullPath(root);
        var anchors = new Dictionary<string, ISet<string>>(StringComparer.Ordinal);
        ISet<string> AnchorsOf(string path) =>
            anchors.TryGetValue(path, out var set) ? set : anchors[path] = Anchors(File.ReadAllText(path));
        string Shown(string path) => Path.GetRelativePath(root, path).Replace('\\', '/');

        var broken = new List<Broken>();
        foreach (string file in files.Select(Path.GetFullPath).Order(StringComparer.Ordinal))
        {
            foreach (var (line, target) in Links(File.ReadAllText(file)))
            {
                int hash = target.IndexOf('#', StringComparison.Ordinal);
                string pathPart = hash < 0 ? target : target[..hash];
                string anchor = hash < 0 ? "" : Uri.UnescapeDataString(target[(hash + 1)..]);
                string resolved = pathPart.Length == 0
                    ? file
                    : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, Uri.UnescapeDataString(pathPart)));

                string? reason =
                    !resolved.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal) && resolved != root
                        ? "points outside the repository"
                    : !File.Exists(resolved) && !Directory.Exists(resolved) ? $"no file or folder {Shown(resolved)}"
                    : anchor.Length > 0 && resolved.EndsWith(".md", StringComparison.OrdinalIgnoreCase) && File.Exists(resolved)
                      && !AnchorsOf(resolved).Contains(anchor) ? $"no heading #{anchor} in {Shown(resolved)}"
                    : null;
                if (reason is not null)
                    broken.Add(new Broken(Shown(file), line, target, reason));
            }
        }
        return broken;
    }

    /// <summary>
    /// The relative link targets of a Markdown text with their 1-based lines: inline links and images
    /// (<c>[text](target "title")</c>, <c>![alt](target)</c>) and reference definitions (<c>[id]: target</c>).
    /// </summary>
    public static IEnumerable<(int Line, string Target)> Links(string markdown)
    {
        foreach (var (number, line) in ProseLines(markdown))
        {
            string text = CodeSpan().Replace(line, "");
            var targets = InlineLink().Matches(text).Select(m => m.Groups["target"].Value)
                .Concat(ReferenceDefinition().Matches(text).Select(m => m.Groups["target"].Value));
            foreach (string target in targets)
                if (!Scheme().IsMatch(target))
                    yield return (number, target);
        }
    }

    /// <summary>The anchors of a Markdown text's headings (ATX, <c># Title</c>), as GitHub makes them; a repeated
    /// heading gets <c>-1</c>, <c>-2</c>…</summary>
    public static ISet<string> Anchors(string markdown)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (_, line) in ProseLines(markdown))
        {
            if (Heading().Match(line) is not { Success: true } heading)
                continue;
            string slug = Slug(heading.Groups["text"].Value);
            int count = seen.GetValueOrDefault(slug);
            seen[slug] = count + 1;
            anchors.Add(count == 0 ? slug : $"{slug}-{count}");
        }
        return anchors;
    }

    /// <summary>
    /// The lines of a Markdown text that are not code, with their 1-based numbers: fenced blocks (<c>```</c>,
    /// <c>~~~</c>) and indented blocks (four spaces or a tab after a blank line, unless a list item goes on) are left
    /// out, and so are blank lines.
    /// </summary>
    private static IEnumerable<(int Number, string Line)> ProseLines(string markdown)
    {
        string[] lines = markdown.Split('\n');
        bool fenced = false, indentedCode = false, inList = false, previousBlank = true;
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd('\r');
            if (fenced || Fence().IsMatch(line))
            {
                fenced = !fenced || !Fence().IsMatch(line);   // opens a fence, or closes the one open
                continue;
            }
            bool blank = line.Trim().Length == 0;
            bool indented = IndentedCode().IsMatch(line);
            indentedCode = blank ? indentedCode : indented && (indentedCode || (previousBlank && !inList));
            if (!blank && !indented)
                inList = ListItem().IsMatch(line) || (inList && (line.StartsWith(' ') || !previousBlank));
            previousBlank = blank;
            if (!blank && !indentedCode)
                yield return (i + 1, line);
        }
    }

    /// <summary>
    /// GitHub's anchor for a heading: the text as rendered (link and image syntax reduced to its text), lowercased,
    /// every character that is not a letter, mark, digit, connector (<c>_</c>), hyphen or space removed, each space
    /// turned into <c>-</c>. "Why: the residual branches" → <c>why-the-residual-branches</c>.
    /// </summary>
    public static string Slug(string heading)
    {
        string text = LinkSyntax().Replace(heading, "${text}").Trim().ToLowerInvariant();
        var slug = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            var category = char.GetUnicodeCategory(c);
            bool keep = c is '-' or ' ' || char.IsLetterOrDigit(c) || category is UnicodeCategory.ConnectorPunctuation
                or UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark
                or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber;
            if (keep)
                slug.Append(c == ' ' ? '-' : c);
        }
        return slug.ToString();
    }

    [GeneratedRegex(@"^ {0,3}(```|~~~)")]
    private static partial Regex Fence();

    [GeneratedRegex(@"^(    |\t)")]
    private static partial Regex IndentedCode();

    [GeneratedRegex(@"^ {0,3}([-*+]|\d+[.)])\s")]
    private static partial Regex ListItem();

    [GeneratedRegex(@"`+[^`]*`+")]
    private static partial Regex CodeSpan();

    [GeneratedRegex(@"\]\(\s*<?(?<target>[^)\s>]+)>?(\s+(""[^""]*""|'[^']*'))?\s*\)")]
    private static partial Regex InlineLink();

    [GeneratedRegex(@"^ {0,3}\[[^\]]+\]:\s*<?(?<target>[^\s>]+)>?")]
    private static partial Regex ReferenceDefinition();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9+.\-]*:")]
    private static partial Regex Scheme();

    [GeneratedRegex(@"^ {0,3}#{1,6}\s+(?<text>.*?)(\s+#+)?\s*$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"!?\[(?<text>[^\]]*)\]\([^)]*\)")]
    private static partial Regex LinkSyntax();
}
