using System.Text.Json;

namespace Tether.Admin.Dashboard;

/// <summary>
/// Writes the body of <c>GET /api/dashboard</c> by hand with <see cref="Utf8JsonWriter"/>, so it needs no serializer
/// configuration from the host (reflection-free and trimming-safe).
/// </summary>
internal static class DashboardJson
{
    public static void Write(Utf8JsonWriter json, DateTimeOffset now, int connections, int sessions, LiveScanResult live, IReadOnlyList<DashboardSample> samples)
    {
        json.WriteStartObject();
        json.WriteNumber("now", now.ToUnixTimeMilliseconds());
        json.WriteNumber("intervalMs", (long)DashboardSampler.Interval.TotalMilliseconds);
        json.WriteNumber("connections", connections);
        json.WriteStartObject("sessions");
        json.WriteNumber("total", sessions);
        json.WriteNumber("attached", live.SessionsAttached);
        json.WriteNumber("detached", live.SessionsDetached);
        json.WriteEndObject();
        json.WriteBoolean("scanTruncated", live.Truncated);

        json.WriteStartArray("rttBoundsMs");
        foreach (var bound in RttBuckets.UpperBoundsMs)
        {
            json.WriteNumberValue(bound);
        }

        json.WriteEndArray();

        json.WriteStartArray("topPending");
        foreach (var client in live.TopPending)
        {
            json.WriteStartObject();
            json.WriteNumber("connectionId", client.ConnectionId);
            json.WriteString("clientId", client.ClientId);
            json.WriteString("remote", client.RemoteEndPoint);
            json.WriteNumber("pendingBytes", client.PendingBytes);
            json.WriteEndObject();
        }

        json.WriteEndArray();

        json.WriteStartArray("samples");
        foreach (var sample in samples)
        {
            WriteSample(json, sample);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteSample(Utf8JsonWriter json, DashboardSample sample)
    {
        var counts = sample.Counts;
        json.WriteStartObject();
        json.WriteNumber("seq", sample.Sequence);
        json.WriteNumber("t", sample.Time.ToUnixTimeMilliseconds());
        json.WriteNumber("connections", sample.Connections);
        json.WriteNumber("sessions", sample.Sessions);
        json.WriteNumber("connects", counts.Connects);
        json.WriteStartObject("disconnects");
        foreach (var (reason, count) in counts.Disconnects)
        {
            json.WriteNumber(reason, count);
        }

        json.WriteEndObject();
        json.WriteNumber("heartbeatTimeouts", counts.HeartbeatTimeouts);
        json.WriteNumber("sessionsStarted", counts.SessionsStarted);
        json.WriteNumber("sessionsResumed", counts.SessionsResumed);
        json.WriteNumber("sessionsLost", counts.SessionsLost);
        json.WriteNumber("sessionsExpired", counts.SessionsExpired);
        json.WriteStartArray("rtt");
        foreach (var count in counts.Rtt)
        {
            json.WriteNumberValue(count);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }
}
