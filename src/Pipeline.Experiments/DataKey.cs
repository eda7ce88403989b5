namespace Pipeline.Experiments;

/// <summary>
/// The dataset's key in run, pipeline and evaluation-plan files: <c>"data"</c>, as the command line's <c>--data</c>; the
/// older <c>"dataset"</c> (which records are written with) is read too. One rule for every file that names a dataset.
/// </summary>
public static class DataKey
{
    /// <summary>The folder a file names, by either key.</summary>
    /// <exception cref="System.Text.Json.JsonException">The file gives both keys (each loader names the file).</exception>
    public static string? Resolve(string? dataset, string? data) => (dataset, data) switch
    {
        (not null, not null) => throw new System.Text.Json.JsonException("it gives both \"data\" and \"dataset\", two names for the dataset folder: keep \"data\""),
        (null, _) => data,
        _ => dataset,
    };
}
