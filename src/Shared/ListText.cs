namespace Pipeline;

/// <summary>How the project lists things in a sentence for people (the answer, the results page): "a", "a and b", "a, b and c".</summary>
/// <remarks>Compiled (internal) into each project that writes such sentences, as <see cref="NumberText"/> is.</remarks>
internal static class ListText
{
    public static string And(IEnumerable<string> items) => items.ToArray() switch
    {
        [] => "",
        [var one] => one,
        var many => $"{string.Join(", ", many[..^1])} and {many[^1]}",
    };
}
