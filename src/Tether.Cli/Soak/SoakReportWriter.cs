using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Tether.Cli.Soak;

/// <summary>The soak summary: a table for people, or one JSON object on one line for scripts.</summary>
internal static class SoakReportWriter
{
    public static void WriteHuman(TextWriter output, SoakReport report)
    {
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c, $"{"",-6}{"sent",12}{"delivered",12}{"lost",8}{"duplicated",12}{"reordered",11}{"reported-lost",15}"));
        WriteRow(output, "up", report.Up);
        WriteRow(output, "down", report.Down);
        if (report.Echo)
        {
            output.WriteLine("(against --target, 'up' is checked on the server's echo, end to end; 'down' is empty)");
        }

        var kinds = string.Join(", ", report.FaultsByKind.Where(k => k.Value > 0).Select(k => string.Create(c, $"{FaultName(k.Key)} {k.Value}")));
        output.WriteLine(string.Create(c, $"faults injected: {report.Faults}{(kinds.Length > 0 ? $" ({kinds})" : string.Empty)}"));
        var server = report.ServerSessionResets is { } serverResets ? string.Create(c, $", by the server {serverResets}") : string.Empty;
        output.WriteLine(string.Create(c, $"resumes: {report.Resumes}, session resets reported: {report.SessionResets} to clients{server}, server restarts: {report.Restarts}"));
        if (report.Nodes > 0)
        {
            output.WriteLine(string.Create(c, $"cluster: {report.Nodes} node processes, {report.NodeKills} killed with SIGKILL and restarted ('up' is checked on the nodes' echo, 'down' are pushes through Redis)"));
            if (report.SessionResets > 0)
            {
                output.WriteLine("sessions reset in a cluster run: a client whose node died must resume its session on another node");
            }

            if (report.Down.Sent == 0)
            {
                output.WriteLine("no push reached a client through the cluster: 'down' tested nothing");
            }
        }

        if (report.SettleResets > 0)
        {
            output.WriteLine(string.Create(c, $"paths reset while settling, to resend what a black hole swallowed from a live connection: {report.SettleResets}"));
        }

        if (report.Corrupt > 0)
        {
            output.WriteLine(string.Create(c, $"damaged or misrouted messages: {report.Corrupt}"));
        }

        if (report.UnreportedByServer is > 0)
        {
            output.WriteLine(string.Create(c, $"sessions lost without the server reporting it: {report.UnreportedByServer}"));
        }

        if (!report.Settled)
        {
            output.WriteLine("warning: the clients did not all settle (connected, nothing unacknowledged) in time; what was still in flight counts as lost");
        }

        output.WriteLine(string.Create(c, $"{report.Clients} clients, {report.Elapsed.TotalSeconds:0.#} s, seed {report.Seed}"));
        output.WriteLine(report.Passed
            ? "result: ok: nothing lost, duplicated or reordered outside reported session resets"
            : "result: FAILED: messages lost, duplicated, reordered or damaged that no session reset accounts for");
    }

    /// <summary>Exactly one line: the object described in README's soak section.</summary>
    public static void WriteJson(TextWriter output, SoakReport report)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            WriteCounts(json, "up", report.Up);
            WriteCounts(json, "down", report.Down);
            json.WriteNumber("faults", report.Faults);
            json.WriteNumber("resumes", report.Resumes);
            json.WriteNumber("sessionResets", report.SessionResets);
            WriteNullable(json, "serverSessionResets", report.ServerSessionResets);
            WriteNullable(json, "unreportedByServer", report.UnreportedByServer);
            json.WriteNumber("restarts", report.Restarts);
            json.WriteNumber("nodes", report.Nodes);
            json.WriteNumber("nodeKills", report.NodeKills);
            json.WriteNumber("corrupt", report.Corrupt);
            json.WriteBoolean("settled", report.Settled);
            json.WriteNumber("settleResets", report.SettleResets);
            json.WriteNumber("clients", report.Clients);
            json.WriteNumber("elapsedMs", (long)report.Elapsed.TotalMilliseconds);
            json.WriteNumber("seed", report.Seed);
            json.WriteString("mode", report.Nodes > 0 ? "cluster" : report.Echo ? "echo" : "in-process");
            json.WriteStartObject("faultsByKind");
            foreach (var (kind, count) in report.FaultsByKind)
            {
                json.WriteNumber(FaultName(kind), count);
            }

            json.WriteEndObject();
            json.WriteBoolean("passed", report.Passed);
            json.WriteEndObject();
        }

        output.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
    }

    public static string FaultName(FaultKind kind) => kind switch
    {
        FaultKind.Reset => "reset",
        FaultKind.BlackHole => "blackhole",
        FaultKind.Delay => "delay",
        FaultKind.Slice => "slice",
        FaultKind.Refuse => "refuse",
        _ => kind.ToString(),
    };

    private static void WriteRow(TextWriter output, string name, StreamCounts counts) =>
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{name,-6}{counts.Sent,12}{counts.Delivered,12}{counts.Lost,8}{counts.Duplicated,12}{counts.Reordered,11}{counts.ReportedLost,15}"));

    private static void WriteCounts(Utf8JsonWriter json, string name, StreamCounts counts)
    {
        json.WriteStartObject(name);
        json.WriteNumber("sent", counts.Sent);
        json.WriteNumber("delivered", counts.Delivered);
        json.WriteNumber("lost", counts.Lost);
        json.WriteNumber("duplicated", counts.Duplicated);
        json.WriteNumber("reordered", counts.Reordered);
        json.WriteNumber("reportedLost", counts.ReportedLost);
        json.WriteEndObject();
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, long? value)
    {
        if (value is { } number)
        {
            json.WriteNumber(name, number);
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
