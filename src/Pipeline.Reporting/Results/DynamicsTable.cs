using System.Globalization;
using Pipeline.Experiments;

namespace Pipeline.Reporting.Results;

/// <summary>The residual-branch measurements of several runs (each run's dynamics.jsonl), by measurement point and block.</summary>
public static class DynamicsTable
{
    /// <summary>
    /// A block counts as active when its branch adds at least this share of what its skip path carries: a branch at
    /// a tenth of the skip's norm still changes the block's output by about that much, one at a hundredth hardly does.
    /// </summary>
    public const double ActiveThreshold = 0.1;

    /// <summary>The measurement points (in epochs) the runs share, in order.</summary>
    public static IReadOnlyList<double> Points(IReadOnlyList<IReadOnlyList<DynamicsRecord>> runs) =>
        runs.SelectMany(r => r).Select(d => d.Epoch).Distinct().Order().ToArray();

    /// <summary>A shared y-axis top for contribution plots: the largest contribution, rounded up to a quarter.</summary>
    public static double AxisMax(IEnumerable<IReadOnlyList<DynamicsRecord>> runs) =>
        Math.Ceiling(runs.SelectMany(r => r).SelectMany(d => d.Blocks).Select(b => b.Contribution).Where(double.IsFinite).DefaultIfEmpty(1).Max() * 4) / 4;

    /// <summary>"init", "1/16" … "1/2" within the first epoch, then whole epochs.</summary>
    public static string Label(double epoch) => epoch switch
    {
        0 => "init",
        < 1 => $"1/{Math.Round(1 / epoch).ToString(CultureInfo.InvariantCulture)}",
        _ => epoch.ToString("0.##", CultureInfo.InvariantCulture),
    };

    private static ResidualBlockReading? Reading(IReadOnlyList<DynamicsRecord> run, double point, string block) =>
        run.FirstOrDefault(d => d.Epoch == point)?.Blocks.FirstOrDefault(b => b.Block == block);

    public static double MeanContribution(IReadOnlyList<IReadOnlyList<DynamicsRecord>> runs, double point, string block)
    {
        var values = runs.Select(r => Reading(r, point, block)?.Contribution).OfType<double>().ToArray();
        return values.Length == 0 ? double.NaN : values.Average();
    }

    /// <summary>Blocks at or above <see cref="ActiveThreshold"/> at <paramref name="point"/>, averaged over the runs that measured it.</summary>
    public static double MeanActiveBlocks(IReadOnlyList<IReadOnlyList<DynamicsRecord>> runs, double point)
    {
        var counts = runs.Select(r => r.FirstOrDefault(d => d.Epoch == point))
            .OfType<DynamicsRecord>()
            .Select(d => (double)d.Blocks.Count(b => b.Contribution >= ActiveThreshold))
            .ToArray();
        return counts.Length == 0 ? double.NaN : counts.Average();
    }

    /// <summary>The median over blocks of the runs' mean contribution at <paramref name="point"/>.</summary>
    public static double MedianContribution(IReadOnlyList<IReadOnlyList<DynamicsRecord>> runs, double point)
    {
        var blocks = runs.SelectMany(r => r).SelectMany(d => d.Blocks).Select(b => b.Block).Distinct();
        var means = blocks.Select(b => MeanContribution(runs, point, b)).Where(double.IsFinite).Order().ToArray();
        return means.Length == 0 ? double.NaN : means.Length % 2 == 1 ? means[means.Length / 2] : (means[means.Length / 2 - 1] + means[means.Length / 2]) / 2;
    }

    /// <summary>Mean gradient norm of one parameter group at <paramref name="point"/> over the runs (NaN where none was recorded).</summary>
    public static double MeanGradNorm(IReadOnlyList<IReadOnlyList<DynamicsRecord>> runs, double point, string group)
    {
        var values = runs.Select(r => r.FirstOrDefault(d => d.Epoch == point)?.GradNorms)
            .Select(g => g is not null && g.TryGetValue(group, out double v) ? v : double.NaN)
            .Where(double.IsFinite).ToArray();
        return values.Length == 0 ? double.NaN : values.Average();
    }
}
