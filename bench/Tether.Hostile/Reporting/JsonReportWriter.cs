using System.Text.Json;
using Tether.Protocol;

namespace Tether.Hostile.Reporting;

/// <summary>The report as one JSON object (for scripts and CI), with the same figures as the table.</summary>
internal static class JsonReportWriter
{
    public static void Write(Stream output, HostileReport report)
    {
        using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("target", report.Settings.Target.ToString());
        json.WriteNumber("elapsedSeconds", Math.Round(report.Elapsed.TotalSeconds, 3));
        json.WriteNumber("handshakeTimeoutSeconds", report.Settings.HandshakeTimeout.TotalSeconds);
        json.WriteNumber("seed", report.Settings.Seed);
        json.WriteNumber("maxSockets", report.Settings.MaxSockets);
        json.WriteStartArray("kinds");
        foreach (var row in report.Kinds)
        {
            WriteKind(json, row);
        }

        json.WriteEndArray();
        WriteGood(json, report.Good);
        json.WriteStartObject("rss");
        WriteNullable(json, "baselineBytes", report.Rss.Baseline);
        WriteNullable(json, "peakBytes", report.Rss.Peak);
        WriteNullable(json, "finalBytes", report.Rss.Final);
        WriteNullable(json, "boundBytes", report.Rss.Bound);
        json.WriteNumber("growth", report.Rss.Growth);
        json.WriteNumber("floorBytes", report.Rss.FloorBytes);
        json.WriteEndObject();
        json.WriteBoolean("serverAlive", report.ServerAlive);
        json.WriteBoolean("passed", report.Passed);
        json.WriteStartArray("failures");
        foreach (var failure in report.Failures)
        {
            json.WriteStringValue(failure);
        }

        json.WriteEndArray();
        json.WriteString("verdict", report.VerdictLine);
        json.WriteEndObject();
    }

    private static void WriteKind(Utf8JsonWriter json, KindRow row)
    {
        json.WriteStartObject();
        json.WriteString("kind", row.Name);
        json.WriteString("expects", row.Expects);
        json.WriteNumber("peers", row.Peers);
        json.WriteNumber("finished", row.Finished);
        json.WriteNumber("closedAsExpected", row.ClosedAsExpected);
        WriteCodes(json, "expectedCodes", row.Expected);
        json.WriteNumber("closedWithOtherCode", row.ClosedOtherwise);
        WriteCodes(json, "otherCodes", row.Other);
        json.WriteNumber("closedWithoutClose", row.NoClose);
        json.WriteNumber("stillOpen", row.StillOpen);
        json.WriteNumber("connectFailed", row.ConnectFailed);
        json.WriteNumber("attempts", row.Attempts);
        json.WriteNumber("attemptsFailed", row.AttemptsFailed);
        WriteNullable(json, "firstCloseMs", row.FirstClose?.TotalMilliseconds);
        WriteNullable(json, "lastCloseMs", row.LastClose?.TotalMilliseconds);
        json.WriteStartArray("samples");
        foreach (var sample in row.Samples)
        {
            json.WriteStringValue(sample);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteGood(Utf8JsonWriter json, GoodSummary good)
    {
        json.WriteStartObject("good");
        json.WriteNumber("clients", good.Clients);
        json.WriteNumber("sent", good.Counts.Sent);
        json.WriteNumber("echoed", good.Counts.Echoed);
        json.WriteNumber("lost", good.Counts.Lost);
        json.WriteNumber("duplicated", good.Counts.Duplicated);
        json.WriteNumber("disconnects", good.Disconnects);
        json.WriteNumber("sessionsLost", good.SessionsLost);
        if (good.ConnectError is { } error)
        {
            json.WriteString("connectError", error);
        }

        json.WriteEndObject();
    }

    private static void WriteCodes(Utf8JsonWriter json, string name, IReadOnlyDictionary<CloseCode, int> codes)
    {
        json.WriteStartObject(name);
        foreach (var (code, count) in codes)
        {
            json.WriteNumber(((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture), count);
        }

        json.WriteEndObject();
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, double? value)
    {
        if (value is { } v)
        {
            json.WriteNumber(name, v);
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
