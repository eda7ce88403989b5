using System.Collections;

namespace Pipeline.Data;

/// <summary>One class of a dataset: its folder name (the id models and metadata carry), its label index, and a readable name.</summary>
/// <param name="Id">The class folder's name (an ImageNet WordNet id for Imagenette).</param>
/// <param name="Index">The label: the position of <paramref name="Id"/> in sorted folder order.</param>
/// <param name="Name">The readable name: the classes file's, else the folder name.</param>
public sealed record DatasetClass(string Id, int Index, string Name);

/// <summary>
/// A dataset's classes, label index = position in sorted (ordinal) folder order: what torchvision's
/// <c>ImageFolder</c> and fastai assign, so labels line up with theirs. The one owner of the rules a class list
/// must meet (2 to <see cref="MaxClasses"/> classes, no folder twice, no readable name twice).
/// </summary>
public sealed class ClassTable : IReadOnlyList<DatasetClass>
{
    /// <summary>The fewest classes a classifier has.</summary>
    public const int MinClasses = 2;

    /// <summary>The most classes a dataset may have (ImageNet's 1,000).</summary>
    public const int MaxClasses = 1000;

    private readonly DatasetClass[] _classes;
    private readonly Dictionary<string, int> _indexById;

    private ClassTable(DatasetClass[] classes)
    {
        _classes = classes;
        _indexById = classes.ToDictionary(c => c.Id, c => c.Index, StringComparer.Ordinal);
    }

    public DatasetClass this[int index] => _classes[index];
    public int Count => _classes.Length;
    public IEnumerator<DatasetClass> GetEnumerator() => ((IEnumerable<DatasetClass>)_classes).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The class ids (folder names) in label order.</summary>
    public IReadOnlyList<string> Ids => _classes.Select(c => c.Id).ToArray();

    /// <summary>The label index of <paramref name="id"/>, or -1 when it is not one of these classes.</summary>
    public int IndexOf(string id) => _indexById.GetValueOrDefault(id, -1);

    /// <summary>
    /// The table of these (folder, readable name) pairs, sorted by folder. Only the duplicate rules are checked here;
    /// the count rules need to know where the list came from (<see cref="ThrowIfCountOutOfRange"/>).
    /// </summary>
    /// <param name="source">Where the pairs come from (a classes file, a split folder), named in errors.</param>
    /// <exception cref="DatasetException">A folder or a readable name (ignoring case) is given twice.</exception>
    public static ClassTable Of(IEnumerable<(string Folder, string Name)> pairs, string source)
    {
        var sorted = pairs.OrderBy(p => p.Folder, StringComparer.Ordinal).ToArray();
        var problems = new List<(string File, string Problem)>();
        foreach (var group in sorted.GroupBy(p => p.Folder, StringComparer.Ordinal).Where(g => g.Count() > 1))
            problems.Add((source, $"the class folder '{group.Key}' is listed {group.Count()} times. List each folder once."));
        foreach (var group in sorted.GroupBy(p => p.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            problems.Add((source, $"the folders {string.Join(", ", group.Select(p => $"'{p.Folder}'"))} all have the class name '{group.Key}' (ignoring case), " +
                "so predictions could not tell them apart. Give each a name of its own, or merge the folders."));
        }
        if (problems.Count > 0)
            throw DatasetException.ForMany($"{source}: duplicate classes.", problems);
        return new ClassTable(sorted.Select((p, i) => new DatasetClass(p.Folder, i, p.Name)).ToArray());
    }

    /// <summary>
    /// At least <see cref="MinClasses"/>; at most <see cref="MaxClasses"/>; and, unless a classes file lists them (the user's
    /// confirmation), at most <paramref name="unconfirmedLimit"/>: a folder with hundreds of sub-folders is more often the wrong
    /// folder than a dataset.
    /// </summary>
    /// <exception cref="DatasetException">The count is out of range; the message names the folder and the fix.</exception>
    public void ThrowIfCountOutOfRange(string folder, bool confirmedByFile, int unconfirmedLimit)
    {
        if (Count < MinClasses)
        {
            throw new DatasetException(
                $"{folder} holds {Count} class folder(s){(Count == 1 ? $" ('{this[0].Id}')" : "")}: a classifier needs at least {MinClasses} classes. " +
                "Add a folder of images for each other class (train/<class>/*.jpg), or point --data at the dataset's top folder.", folder);
        }
        if (Count > MaxClasses)
        {
            throw new DatasetException(
                $"{folder} holds {Count} class folders, more than the {MaxClasses} this project trains. Merge classes, or point --data at the dataset's top folder.", folder);
        }
        if (!confirmedByFile && Count > unconfirmedLimit)
        {
            throw new DatasetException(
                $"{folder} holds {Count} class folders, more than {unconfirmedLimit} without a classes file. If that is right, confirm it with a " +
                $"{ClassesFile.FileName} beside train/ listing every class (folder,name; one line each: `ls train | sed 's/.*/&,&/'`); " +
                "otherwise point --data at the dataset's top folder.", folder);
        }
    }

    /// <summary>The ids for a message: all of them up to <paramref name="max"/>, else the first ones and a count.</summary>
    public static string Describe(IReadOnlyCollection<string> ids, int max = 20) => ids.Count <= max
        ? string.Join(", ", ids)
        : $"{string.Join(", ", ids.Take(max))}, … ({ids.Count} in all)";
}
