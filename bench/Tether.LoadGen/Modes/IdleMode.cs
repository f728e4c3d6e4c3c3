using System.Diagnostics;
using System.Globalization;
using Tether.LoadGen.Net;

namespace Tether.LoadGen;

/// <summary>
/// <c>idle</c>: opens N connections, prints <c>ready</c>, holds them for --duration (heartbeats only), then prints
/// <c>result</c>: connected, failed, disconnected (ended during the hold, by reason), heartbeatsSent, heartbeatsAnswered.
/// </summary>
internal static class IdleMode
{
    public static async Task<int> RunAsync(LoadGenOptions options, StopSignal stop)
    {
        FileLimit.Check(options.Connections);
        var stats = new RunStats();
        using var wheel = new HeartbeatWheel(options.Heartbeat);
        var context = new LeanContext(options.Target, options.Source, stats, wheel);
        var profile = new TetherProfile(options.Sessions, options.Heartbeat);
        var prefix = string.Create(CultureInfo.InvariantCulture, $"lg-{options.Source?.ToString() ?? "default"}-{Environment.ProcessId}-");
        Func<int, LeanConnection> create = options.Protocol switch
        {
            WireProtocol.Raw => _ => new RawLeanConnection(context, null, options.Heartbeat, 64, 16),
            WireProtocol.Mqtt => index => new MqttLeanConnection(context, prefix + index.ToString(CultureInfo.InvariantCulture), options.Heartbeat),
            _ => _ => new TetherLeanConnection(context, profile, null, 256, 64),
        };

        var started = Stopwatch.GetTimestamp();
        var connections = await LeanPool.OpenAsync(options.Connections, options.ConnectConcurrency, context, create, "idle", stop.Token).ConfigureAwait(false);
        var connectMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        Output.Ready(stats.Connected, stats.Failed);
        Output.Status(string.Create(CultureInfo.InvariantCulture,
            $"idle: {stats.Connected} connected, {stats.Failed} failed in {connectMs:0} ms; holding for {options.Duration.TotalSeconds:0.###} s"));

        var holdStart = Stopwatch.GetTimestamp();
        var hold = stats.Connected > 0 ? options.Duration : TimeSpan.Zero;
        var deadline = holdStart + (long)(hold.TotalSeconds * Stopwatch.Frequency);
        await LeanPool.HoldAsync(deadline, () => Output.Progress(string.Create(CultureInfo.InvariantCulture,
            $"idle: {stats.Connected - stats.Disconnected} open, {stats.Disconnected} disconnected, heartbeats {stats.HeartbeatsAnswered}/{stats.HeartbeatsSent} answered")),
            stop.Token).ConfigureAwait(false);
        var holdMs = Stopwatch.GetElapsedTime(holdStart).TotalMilliseconds;

        // Snapshot before closing: the deliberate close is not part of the result.
        var open = connections.Count(c => c.IsOpen);
        var disconnected = stats.Disconnected;
        var reasons = stats.DisconnectReasons.ToArray();
        var sent = stats.HeartbeatsSent;
        var answered = stats.HeartbeatsAnswered;
        var pings = stats.PingsAnswered;
        LeanPool.CloseAll(connections);

        Output.Event("result", json =>
        {
            json.WriteString("mode", "idle");
            json.WriteString("protocol", options.ProtocolName);
            json.WriteNumber("connections", options.Connections);
            json.WriteNumber("connected", stats.Connected);
            json.WriteNumber("failed", stats.Failed);
            json.WriteCounts("failReasons", stats.FailReasons);
            json.WriteNumber("disconnected", disconnected);
            json.WriteCounts("disconnectReasons", reasons);
            json.WriteNumber("open", open);
            json.WriteNumber("heartbeatsSent", sent);
            json.WriteNumber("heartbeatsAnswered", answered);
            json.WriteNumber("pingsAnswered", pings);
            json.WriteNumber("connectMs", Output.Round(connectMs));
            json.WriteNumber("holdMs", Output.Round(holdMs));
            json.WriteBoolean("stoppedEarly", stop.Reason is not null);
        });
        return ExitCode.ForConnections(options, stats.Connected);
    }
}
