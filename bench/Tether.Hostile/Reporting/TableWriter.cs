using System.Globalization;
using Tether.Protocol;

namespace Tether.Hostile.Reporting;

/// <summary>The report as a table for people: one line per kind, then the good clients, memory, and the verdict.</summary>
internal static class TableWriter
{
    private static readonly string[] Header =
        ["kind", "peers", "expects", "closed as expected", "other code", "no CLOSE", "still open", "connect failed", "CLOSE after"];

    public static void Write(TextWriter output, HostileReport report)
    {
        var s = report.Settings;
        output.WriteLine(Invariant(
            $"hostile mix against {s.Target} for {report.Elapsed.TotalSeconds:0.0} s (handshake timeout {s.HandshakeTimeout.TotalSeconds:0.###} s, seed {s.Seed}, at most {s.MaxSockets} hostile sockets open at a time)"));
        output.WriteLine();
        WriteRows(output, [Header, .. report.Kinds.Select(Cells)]);
        output.WriteLine();

        var good = report.Good;
        output.WriteLine(Invariant(
            $"good clients: {good.Clients}; sent {good.Counts.Sent}, echoed {good.Counts.Echoed}, lost {good.Counts.Lost}, duplicated {good.Counts.Duplicated}; disconnects {good.Disconnects}, sessions lost {good.SessionsLost}"));
        foreach (var reason in good.DisconnectReasons)
        {
            output.WriteLine($"  disconnected: {reason}");
        }

        var rss = report.Rss;
        output.WriteLine(s.ServerPid is null
            ? "server RSS: not measured (no --server-pid)"
            : Invariant($"server RSS: baseline {Units.MiB(rss.Baseline)}, peak {Units.MiB(rss.Peak)}, final {Units.MiB(rss.Final)}; bound {Units.MiB(rss.Bound)} (baseline + max({rss.Growth * 100:0} %, {Units.MiB(rss.FloorBytes)}))"));
        foreach (var row in report.Kinds.Where(k => k.Samples.Count > 0))
        {
            foreach (var sample in row.Samples)
            {
                output.WriteLine($"  {row.Name}: {sample}");
            }
        }

        output.WriteLine(report.VerdictLine);
    }

    private static string[] Cells(KindRow row) => row.ExpectsClose
        ? [
            row.Name,
            Invariant($"{row.Peers}"),
            row.Peers == 0 ? "(off)" : row.Expects,
            Invariant($"{row.ClosedAsExpected}{Codes(row.Expected)}"),
            Invariant($"{row.ClosedOtherwise}{Codes(row.Other)}"),
            Invariant($"{row.NoClose}"),
            Invariant($"{row.StillOpen}"),
            Invariant($"{row.ConnectFailed}"),
            row.FirstClose is null ? "-" : $"{Units.Seconds(row.FirstClose)} - {Units.Seconds(row.LastClose)}",
        ]
        : [
            row.Name,
            Invariant($"{row.Peers}"),
            row.Expects,
            Invariant($"{row.Attempts} connections opened and closed"),
            "-",
            "-",
            "-",
            Invariant($"{row.AttemptsFailed}"),
            "-",
        ];

    private static string Codes(IReadOnlyDictionary<CloseCode, int> codes) => codes.Count == 0
        ? string.Empty
        : " (" + string.Join(", ", codes.Select(p => Invariant($"{(int)p.Key} x{p.Value}"))) + ")";

    private static void WriteRows(TextWriter output, IReadOnlyList<string[]> rows)
    {
        var widths = Enumerable.Range(0, Header.Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows)
        {
            output.WriteLine(string.Join("  ", row.Select((cell, c) => c is 0 or 2 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))).TrimEnd());
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
