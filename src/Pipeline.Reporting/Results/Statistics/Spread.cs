namespace Pipeline.Reporting.Results;

/// <summary>Mean and sample standard deviation of a few numbers (NaN where undefined).</summary>
public readonly record struct Spread(int Count, double Mean, double StandardDeviation)
{
    public static Spread Of(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0)
            return new Spread(0, double.NaN, double.NaN);
        double mean = values.Average();
        double sd = values.Count > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1)) : double.NaN;
        return new Spread(values.Count, mean, sd);
    }

    /// <summary>The standard error of the mean, sd / √n (NaN below two values).</summary>
    public double StandardError => StandardDeviation / Math.Sqrt(Count);
}
