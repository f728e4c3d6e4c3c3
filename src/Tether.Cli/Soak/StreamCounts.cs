namespace Tether.Cli.Soak;

/// <summary>
/// The tally of one stream, or of many added up. <see cref="Lost"/>, <see cref="Duplicated"/> and
/// <see cref="Reordered"/> are failures; <see cref="ReportedLost"/> are messages lost in a session whose loss was
/// reported (the application was told), which is what a reset is allowed to do.
/// </summary>
internal readonly record struct StreamCounts(long Sent, long Delivered, long Lost, long Duplicated, long Reordered, long ReportedLost)
{
    public bool HasFailures => Lost > 0 || Duplicated > 0 || Reordered > 0;

    public static StreamCounts operator +(StreamCounts a, StreamCounts b) => new(
        a.Sent + b.Sent,
        a.Delivered + b.Delivered,
        a.Lost + b.Lost,
        a.Duplicated + b.Duplicated,
        a.Reordered + b.Reordered,
        a.ReportedLost + b.ReportedLost);

    public static StreamCounts Sum(IEnumerable<StreamCounts> counts) => counts.Aggregate(default(StreamCounts), static (sum, c) => sum + c);
}
