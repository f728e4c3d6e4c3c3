using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Tether.Client;

namespace Tether.LoadGen;

/// <summary>
/// <c>storm</c>: N real <see cref="TetherClient"/>s (default reconnect settings, sessions on unless tether-nosession)
/// stay connected for --duration while the server is killed, restarted or stopped gracefully around them. Per client it
/// records the timestamp of every state change, of every connect attempt, and of every GOAWAY with its retry-after.
/// </summary>
internal static class StormMode
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(LoadGenOptions options, StopSignal stop)
    {
        FileLimit.Check(options.Connections);
        var clients = new TetherClient[options.Connections];
        var logs = new ClientLog[options.Connections];
        long connected = 0;
        long failed = 0;
        var started = Stopwatch.GetTimestamp();
        try
        {
            await Parallel.ForAsync(0, options.Connections, new ParallelOptions { MaxDegreeOfParallelism = options.ConnectConcurrency, CancellationToken = stop.Token }, async (index, token) =>
            {
                var clientOptions = new TetherClientOptions();
                clientOptions.EndPoints.Add(options.Target);
                clientOptions.LocalAddress = options.Source;
                clientOptions.Sessions.Enabled = options.Sessions;
                if (options.HeartbeatGiven)
                {
                    clientOptions.HeartbeatInterval = options.Heartbeat;
                }

                var log = new ClientLog();
                var client = new TetherClient(clientOptions);
                client.StateChanged += log.OnStateChanged;
                client.SessionLost += log.OnSessionLost;
                client.SessionResumed += log.OnSessionResumed;
                logs[index] = log;
                clients[index] = client;
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
                timeout.CancelAfter(ReadyTimeout);
                try
                {
                    await client.ConnectAsync(timeout.Token).ConfigureAwait(false);
                    Interlocked.Increment(ref connected);
                }
                catch (OperationCanceledException) when (!token.IsCancellationRequested)
                {
                    Interlocked.Increment(ref failed);
                }
                catch (TetherException)
                {
                    Interlocked.Increment(ref failed);
                }

                Output.Progress(string.Create(CultureInfo.InvariantCulture, $"storm: {Interlocked.Read(ref connected)}/{options.Connections} connected, {Interlocked.Read(ref failed)} failed"));
            }).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        var created = clients.Count(c => c is not null);
        Output.Ready(connected, failed);
        Output.Status(string.Create(CultureInfo.InvariantCulture,
            $"storm: {connected} connected, {failed} failed in {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms; running {options.Duration.TotalSeconds:0.###} s"));

        var deadline = Stopwatch.GetTimestamp() + (long)(options.Duration.TotalSeconds * Stopwatch.Frequency);
        await Net.LeanPool.HoldAsync(deadline, () =>
        {
            var up = clients.Count(c => c?.State == ClientState.Connected);
            Output.Progress(string.Create(CultureInfo.InvariantCulture, $"storm: {up}/{created} connected"));
        }, stop.Token).ConfigureAwait(false);

        // Snapshot before closing: the deliberate close is not part of the result.
        var connectedAtEnd = clients.Count(c => c?.State == ClientState.Connected);
        var snapshots = logs.Select(l => l?.Snapshot() ?? ClientLog.Empty).ToArray();
        var closing = clients.Where(c => c is not null).Select(c => c.DisposeAsync().AsTask());
        try
        {
            await Task.WhenAll(closing).WaitAsync(CloseTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Output.Status("storm: some clients did not close within 10 s");
        }

        Output.Event("result", json => WriteResult(json, options, connected, failed, connectedAtEnd, snapshots));
        return ExitCode.ForConnections(options, connected);
    }

    private static void WriteResult(Utf8JsonWriter json, LoadGenOptions options, long connected, long failed, int connectedAtEnd, ClientLog.Record[] records)
    {
        var reconnect = new LatencyHistogram();
        var firstAttempt = new LatencyHistogram();
        var reasons = new Dictionary<string, long>(StringComparer.Ordinal);
        long disconnects = 0;
        long reconnects = 0;
        long attempts = 0;
        long goaways = 0;
        foreach (var record in records)
        {
            attempts += record.Attempts.Length;
            goaways += record.GoAways.Length / 2;
            foreach (var reason in record.DisconnectReasons)
            {
                reasons[reason] = reasons.GetValueOrDefault(reason) + 1;
            }

            // Each Connected -> Reconnecting transition is a disconnect; the next Connected is its reconnect.
            long lostAt = -1;
            for (var i = 0; i + 1 < record.States.Length; i += 2)
            {
                var (time, state) = (record.States[i], (ClientState)record.States[i + 1]);
                if (state == ClientState.Reconnecting && lostAt < 0 && i >= 2 && (ClientState)record.States[i - 1] == ClientState.Connected)
                {
                    lostAt = time;
                    disconnects++;
                    if (Array.Find(record.Attempts, a => a >= time) is var attempt and > 0)
                    {
                        firstAttempt.Record(attempt - time);
                    }
                }
                else if (state == ClientState.Connected && lostAt >= 0)
                {
                    reconnect.Record(time - lostAt);
                    reconnects++;
                    lostAt = -1;
                }
            }
        }

        json.WriteString("mode", "storm");
        json.WriteString("protocol", options.ProtocolName);
        json.WriteNumber("frequency", Stopwatch.Frequency);
        json.WriteNumber("connections", options.Connections);
        json.WriteNumber("connected", connected);
        json.WriteNumber("failed", failed);
        json.WriteNumber("connectedAtEnd", connectedAtEnd);
        json.WriteNumber("disconnects", disconnects);
        json.WriteCounts("disconnectReasons", reasons);
        json.WriteNumber("reconnects", reconnects);
        json.WriteNumber("attempts", attempts);
        json.WriteNumber("goaways", goaways);
        json.WriteNumber("sessionsResumed", records.Sum(r => r.SessionsResumed));
        json.WriteNumber("sessionsLost", records.Sum(r => r.SessionsLost));
        json.WritePercentiles(reconnect, "reconnect");
        json.WritePercentiles(firstAttempt, "firstAttempt");
        json.WriteStartArray("stateNames");
        foreach (var name in Enum.GetNames<ClientState>())
        {
            json.WriteStringValue(name.ToLowerInvariant());
        }

        json.WriteEndArray();
        WriteArrays(json, "stateLog", records, r => r.States);
        WriteArrays(json, "attemptLog", records, r => r.Attempts);
        WriteArrays(json, "goawayLog", records, r => r.GoAways);
    }

    private static void WriteArrays(Utf8JsonWriter json, string name, ClientLog.Record[] records, Func<ClientLog.Record, long[]> select)
    {
        json.WriteStartArray(name);
        foreach (var record in records)
        {
            json.WriteStartArray();
            foreach (var value in select(record))
            {
                json.WriteNumberValue(value);
            }

            json.WriteEndArray();
        }

        json.WriteEndArray();
    }

    /// <summary>
    /// What one client went through. <see cref="TetherClient"/> raises no event at the moment it dials, so an attempt's
    /// time is the start of <c>Connecting</c> (the first) or the <c>Reconnecting</c> time plus its announced delay (the
    /// client dials as soon as the delay ends). GOAWAY is seen as the disconnect it causes (reason going-away, with its
    /// retry-after), which the client reports right after it received the GOAWAY and closed.
    /// </summary>
    private sealed class ClientLog
    {
        public static readonly Record Empty = new([], [], [], [], 0, 0);

        private readonly Lock _lock = new();
        private readonly List<long> _states = [];
        private readonly List<long> _attempts = [];
        private readonly List<long> _goaways = [];
        private readonly List<string> _reasons = [];
        private int _sessionsLost;
        private int _sessionsResumed;

        public void OnStateChanged(object? sender, ClientStateChangedEventArgs e)
        {
            var now = Stopwatch.GetTimestamp();
            lock (_lock)
            {
                _states.Add(now);
                _states.Add((long)e.Current);
                switch (e.Current)
                {
                    case ClientState.Connecting:
                        _attempts.Add(now);
                        break;
                    case ClientState.Reconnecting:
                        _attempts.Add(now + (long)(e.Delay.TotalSeconds * Stopwatch.Frequency));
                        if (e.Disconnect is { } disconnect)
                        {
                            _reasons.Add(disconnect.ReasonName);
                            if (disconnect.Reason == DisconnectReason.GoingAway)
                            {
                                _goaways.Add(now);
                                _goaways.Add((long)(disconnect.RetryAfter ?? TimeSpan.Zero).TotalMilliseconds);
                            }
                        }

                        break;
                }
            }
        }

        public void OnSessionLost(object? sender, SessionLostEventArgs e) => Interlocked.Increment(ref _sessionsLost);

        public void OnSessionResumed(object? sender, SessionResumedEventArgs e) => Interlocked.Increment(ref _sessionsResumed);

        public Record Snapshot()
        {
            lock (_lock)
            {
                return new Record([.. _states], [.. _attempts], [.. _goaways], [.. _reasons], Volatile.Read(ref _sessionsLost), Volatile.Read(ref _sessionsResumed));
            }
        }

        /// <summary>
        /// A copy of the log: states as (timestamp, <see cref="ClientState"/>) pairs, attempt timestamps, GOAWAYs as
        /// (timestamp, retry-after ms) pairs, the reason of each disconnect.
        /// </summary>
        public sealed record Record(long[] States, long[] Attempts, long[] GoAways, string[] DisconnectReasons, int SessionsLost, int SessionsResumed);
    }
}
