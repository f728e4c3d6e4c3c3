using Tether.Hostile.Monitoring;

namespace Tether.Hostile.Reporting;

/// <summary>Everything a run found, and the reasons it failed (none: it passed).</summary>
internal sealed record HostileReport(
    HostileSettings Settings,
    IReadOnlyList<KindRow> Kinds,
    GoodSummary Good,
    RssFigures Rss,
    bool ServerAlive,
    TimeSpan Elapsed,
    IReadOnlyList<string> Failures)
{
    public bool Passed => Failures.Count == 0;

    /// <summary>The last line of the output: <c>hostile: PASS</c> or <c>hostile: FAIL (reasons)</c>.</summary>
    public string VerdictLine => Passed ? "hostile: PASS" : $"hostile: FAIL ({string.Join("; ", Failures)})";
}
