using System.Globalization;
using Tether.Hostile.Kinds;
using Tether.Hostile.Monitoring;

namespace Tether.Hostile.Reporting;

/// <summary>
/// The pass criteria: the server is still running; the good clients connected, sent, lost nothing, got nothing twice
/// and were never disconnected; every hostile peer that expects a code was closed with it (not with another code,
/// not without a CLOSE, not left open, and not before its earliest time); and the server's RSS stayed within its bound.
/// </summary>
internal static class Verdict
{
    public static IReadOnlyList<string> Judge(HostileSettings settings, IReadOnlyList<KindRow> kinds, GoodSummary good, RssFigures rss, bool serverAlive)
    {
        var failures = new List<string>();
        if (!serverAlive)
        {
            failures.Add("the server process is gone");
        }

        JudgeGood(settings, good, failures);
        foreach (var row in kinds.Where(k => k.Peers > 0))
        {
            JudgeKind(settings, row, failures);
        }

        JudgeRss(settings, rss, failures);
        return failures;
    }

    private static void JudgeGood(HostileSettings settings, GoodSummary good, List<string> failures)
    {
        if (good.ConnectError is { } error)
        {
            failures.Add($"good clients could not connect: {error}");
            return;
        }

        if (settings.Good > 0 && good.Counts.Sent == 0)
        {
            failures.Add("good clients sent nothing");
        }

        Add(failures, good.Counts.Lost, "good messages lost");
        Add(failures, good.Counts.Duplicated, "good messages duplicated or reordered");
        Add(failures, good.Disconnects, "good client disconnects");
        Add(failures, good.SessionsLost, "good sessions lost");
    }

    private static void JudgeKind(HostileSettings settings, KindRow row, List<string> failures)
    {
        Add(failures, row.Peers - row.Finished, $"{row.Name} never finished");
        if (!row.ExpectsClose)
        {
            if (row.Attempts == 0)
            {
                failures.Add($"{row.Name} made no connection attempt");
            }

            return;
        }

        if (row.ClosedOtherwise > 0)
        {
            var codes = string.Join(", ", row.Other.Select(p => string.Create(CultureInfo.InvariantCulture, $"{(int)p.Key} x{p.Value}")));
            failures.Add($"{row.Name}: {row.ClosedOtherwise} closed with another code ({codes})");
        }

        Add(failures, row.NoClose, $"{row.Name} closed without a CLOSE frame");
        Add(failures, row.StillOpen, $"{row.Name} still open");
        Add(failures, row.ConnectFailed, $"{row.Name} could not connect");
        var earliest = PeerKinds.All.FirstOrDefault(k => k.Name == row.Name)?.EarliestClose?.Invoke(settings);
        if (earliest is { } soonest && row.FirstClose is { } first && first < soonest)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{row.Name}: one closed after {first.TotalSeconds:0.00} s, before {soonest.TotalSeconds:0.00} s"));
        }
    }

    private static void JudgeRss(HostileSettings settings, RssFigures rss, List<string> failures)
    {
        if (settings.ServerPid is null)
        {
            return;
        }

        if (!rss.Measured || rss.Bound is not { } bound)
        {
            failures.Add("the server's RSS could not be measured");
            return;
        }

        if (rss.Peak > bound)
        {
            failures.Add($"server RSS peaked at {Units.MiB(rss.Peak)}, over the bound of {Units.MiB(bound)}");
        }

        if (rss.Final > bound)
        {
            failures.Add($"server RSS ended at {Units.MiB(rss.Final)}, over the bound of {Units.MiB(bound)}");
        }
    }

    private static void Add(List<string> failures, long count, string what)
    {
        if (count > 0)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{count} {what}"));
        }
    }
}
