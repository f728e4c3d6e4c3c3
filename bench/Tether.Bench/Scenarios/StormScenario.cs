using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Tether.Bench.Infra;
using Tether.Bench.Reporting;

namespace Tether.Bench.Scenarios;

/// <summary>The settings of <c>storm</c>, after --quick defaults.</summary>
internal sealed record StormSettings(int Connections, int Processes, TimeSpan Down, TimeSpan RecoverTimeout, bool Graceful, int Runs, int ConnectConcurrency);

/// <summary>
/// <c>storm</c>: N TetherClients stay connected; the server is killed (kill -9, or SIGTERM with --graceful: GOAWAY with a
/// retry-after), kept down, and restarted on the same port. From the moment the restarted server's port file appears,
/// the time until 50/99/100 % of the clients are back, the peak handshakes per second, the handshake latency, and the
/// clients that never came back; with --graceful also the clients that tried again before the retry-after they were given.
/// </summary>
internal static partial class StormScenario
{
    private static readonly Metric[] Metrics =
    [
        new("held", "held", MetricFormat.Count),
        new("back_50_ms", "50 % back", MetricFormat.Milliseconds),
        new("back_99_ms", "99 % back", MetricFormat.Milliseconds),
        new("back_100_ms", "100 % back", MetricFormat.Milliseconds),
        new("peak_handshakes_per_second", "peak handshakes/s", MetricFormat.Rate),
        new("handshake_p50_ms", "handshake p50", MetricFormat.Milliseconds),
        new("handshake_p99_ms", "handshake p99", MetricFormat.Milliseconds),
        new("never_back", "never back", MetricFormat.Count),
        new("listen_overflows", "listen overflows", MetricFormat.Count),
        new("attempts", "attempts", MetricFormat.Count),
        new("sessions_lost", "sessions lost", MetricFormat.Count),
        new("sessions_resumed", "sessions resumed", MetricFormat.Count),
        new("goaways", "GOAWAYs", MetricFormat.Count),
        new("before_retry_after", "before retry-after", MetricFormat.Count),
    ];

    public static IEnumerable<Binary> Needed => [Binaries.Tether, Binaries.LoadGen];

    public static async Task<Report> RunAsync(BenchContext context, StormSettings settings)
    {
        var how = settings.Graceful ? "SIGTERM (GOAWAY with retry-after)" : "kill -9";
        var report = new Report(settings.Graceful ? "storm --graceful" : "storm",
            $"{settings.Connections:N0} TetherClients (sessions on, default reconnect settings) over {settings.Processes} processes; server stopped by {how}, "
            + $"down {Durations.Format(settings.Down)}, restarted on the same port; times from 'listening again', {settings.Runs} run(s)");
        report.AddParameters(("connections", settings.Connections), ("processes", settings.Processes), ("down", settings.Down),
            ("recover_timeout", settings.RecoverTimeout), ("graceful", settings.Graceful), ("runs", settings.Runs),
            ("connect_concurrency", settings.ConnectConcurrency), ("quick", context.Quick));
        await RepeatedRuns.AddToAsync(report, context, Metrics, settings.Runs, (run, row) => MeasureAsync(context, settings, run, row)).ConfigureAwait(false);

        context.Note("back = first Connected state after the stop, minus 'listening again': the orchestrator's timestamp when the restarted server's listening socket "
            + "appeared in /proc/net/tcp (or its port file, if seen first; one monotonic clock for all processes); handshake = Connected minus the client's last connect attempt before it; peak handshakes/s = most reconnects in any 1 s window");
        context.Note("listen overflows = the kernel's TcpExt ListenOverflows counter (machine-wide) from the stop until all were back: connects dropped because the accept queue was full, which the client's TCP retries after 1, 3, 7 s");
        context.Note("the load generator's attempt times are the Reconnecting event's time plus the delay the client announced (TetherClient raises no event when it dials)");
        context.Note("storm clients send no messages, so no message can be lost; 'sessions lost' counts the sessions the clients were told are gone (a restarted server knows none of them)");
        return report;
    }

    private static async Task MeasureAsync(BenchContext context, StormSettings settings, int run, ResultRow row)
    {
        var phase = $"run {run}/{settings.Runs}";
        var label = $"run{run}";
        string[] serverArguments = ["--listen", "127.0.0.1:0"];
        context.Progress.Phase($"{phase}: starting the server");
        var server = await ServerLauncher.StartAsync(context, ServerKind.Tether, $"{label}-server", serverArguments).ConfigureAwait(false);
        RunningServer? restarted = null;
        row.Extra["server_command"] = server.Process.CommandLine;
        await Waits.DelayAsync(context, TimeSpan.FromSeconds(context.Quick ? 0.3 : 1), "letting the server settle", server).ConfigureAwait(false);

        var shares = LoadGenProcess.Split(settings.Connections, settings.Processes);
        var connectTimeout = TimeSpan.FromSeconds(Math.Max(60, settings.Connections / 200.0));
        var bound = connectTimeout + settings.Down + settings.RecoverTimeout + TimeSpan.FromSeconds(120);
        var loadGens = new List<LoadGenProcess>();
        try
        {
            context.Progress.Phase($"{phase}: connecting {settings.Connections:N0} clients");
            for (var i = 0; i < shares.Length; i++)
            {
                loadGens.Add(await LoadGenProcess.StartAsync(context, $"{label}-storm{i + 1}", "storm", server.Target(), "tether",
                    LoadGenProcess.SourceAddress(i),
                [
                    "--connections", shares[i].ToString(CultureInfo.InvariantCulture),
                    "--connect-concurrency", settings.ConnectConcurrency.ToString(CultureInfo.InvariantCulture),
                    "--duration", Durations.Format(bound),
                ]).ConfigureAwait(false));
            }

            var ready = await Waits.ReadyAsync(context, loadGens, settings.Connections, connectTimeout, server).ConfigureAwait(false);
            var held = ready.Sum(r => Json.Number(r, "connected") ?? 0);
            row["held"] = held;
            await Waits.DelayAsync(context, TimeSpan.FromSeconds(context.Quick ? 1 : 3), "all connected; letting them settle", server).ConfigureAwait(false);

            // Stop the server: SIGKILL, or SIGTERM and wait for its drain to end.
            context.Progress.Phase($"{phase}: {(settings.Graceful ? "SIGTERM to" : "kill -9")} the server");
            var overflowsBefore = ProcStats.ListenOverflows();
            var stoppedAt = Stopwatch.GetTimestamp();
            server.Process.Signal(settings.Graceful ? "TERM" : "KILL");
            if (!await server.Process.WaitForExitAsync(TimeSpan.FromSeconds(settings.Graceful ? 30 : 10)).ConfigureAwait(false))
            {
                context.Note($"run {run}: the server had not ended {(settings.Graceful ? 30 : 10)} s after the signal; killed");
                server.Process.Signal("KILL");
                await server.Process.WaitForExitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }

            var downSince = Stopwatch.GetTimestamp();
            row.Extra["stop_to_exit_ms"] = Math.Round(Stopwatch.GetElapsedTime(stoppedAt, downSince).TotalMilliseconds, 1);
            await Waits.DelayAsync(context, settings.Down, "server down").ConfigureAwait(false);

            context.Progress.Phase($"{phase}: restarting the server on port {server.Ports[0]}");
            restarted = await ServerLauncher.RestartTetherAsync(context, server, $"{label}-restarted", serverArguments).ConfigureAwait(false);
            var listeningAgain = restarted.ListeningTimestamp;
            // Clients connect the moment it listens, so its own start-up files are taken from the first server (same command).
            restarted.BaselineFiles = server.BaselineFiles;
            row.Extra["restarted_server_command"] = restarted.Process.CommandLine;

            context.Progress.Phase($"{phase}: waiting for the clients to come back");
            var recoverStart = Stopwatch.GetTimestamp();
            var allBack = false;
            while (Stopwatch.GetElapsedTime(recoverStart) < settings.RecoverTimeout)
            {
                context.CancellationToken.ThrowIfCancellationRequested();
                restarted.EnsureRunning();
                // Each load generator says "storm: UP/CREATED connected" on stderr about once a second; all back when every
                // one has said UP = CREATED since the restart. The server's open files are shown beside it.
                var counts = loadGens.Select(l => ConnectedLine(l.Process, listeningAgain)).ToList();
                var up = counts.Sum(c => c?.Up ?? 0);
                context.Progress.Status($"{up:N0}/{held:N0} back after {Stopwatch.GetElapsedTime(listeningAgain).TotalSeconds:F1} s (server holds {restarted.OpenConnections ?? 0:N0})");
                if (counts.All(c => c is { } count && count.Up >= count.Created))
                {
                    allBack = true;
                    break;
                }

                await Task.Delay(200, context.CancellationToken).ConfigureAwait(false);
            }

            if (!allBack)
            {
                context.Note($"run {run}: not every client was back within {Durations.Format(settings.RecoverTimeout)} (--recover-timeout)");
            }

            row["listen_overflows"] = ProcStats.ListenOverflows() - overflowsBefore;
            var results = await Waits.StopAllAsync(context, loadGens, TimeSpan.FromSeconds(60)).ConfigureAwait(false);
            Compute(results, row, stoppedAt, listeningAgain, settings.Graceful);
            row.Extra["loadgen_results"] = new JsonArray([.. results.Select(r => (JsonNode?)Summary(r))]);
        }
        finally
        {
            await Waits.DisposeAllAsync(loadGens).ConfigureAwait(false);
            await server.DisposeAsync().ConfigureAwait(false);
            if (restarted is not null)
            {
                await restarted.StopAsync().ConfigureAwait(false);
                await restarted.DisposeAsync().ConfigureAwait(false);
            }
        }

        context.Progress.Note($"run {run}: 50 % back in {ReportWriter.Format(row["back_50_ms"], MetricFormat.Milliseconds)}, 99 % in "
            + $"{ReportWriter.Format(row["back_99_ms"], MetricFormat.Milliseconds)}, all in {ReportWriter.Format(row["back_100_ms"], MetricFormat.Milliseconds)}, "
            + $"{ReportWriter.Format(row["never_back"], MetricFormat.Count)} never back");
    }

    /// <summary>
    /// From every client's timeline: when it was back (first Connected after the stop), the attempt that got it there,
    /// and with GOAWAY whether its first attempt after it came before the retry-after.
    /// </summary>
    internal static void Compute(IReadOnlyList<JsonObject> results, ResultRow row, long stoppedAt, long listeningAgain, bool graceful)
    {
        var backTimes = new List<long>();
        var handshakes = new List<double>();
        double held = 0;
        long attempts = 0;
        long goaways = 0;
        long early = 0;
        foreach (var result in results)
        {
            var frequency = Json.Number(result, "frequency") ?? Stopwatch.Frequency;
            var toOurTicks = Stopwatch.Frequency / frequency;
            var names = Json.Array(result, "stateNames")?.Select(n => n?.GetValue<string>()).ToList() ?? [];
            var connectedState = names.IndexOf("connected");
            var states = Json.Array(result, "stateLog", "states") ?? [];
            var attemptLists = Json.Array(result, "attemptLog", "attempts") ?? [];
            var goawayLists = Json.Array(result, "goawayLog", "goaways") ?? [];
            for (var client = 0; client < states.Count; client++)
            {
                var timeline = Longs(states[client]);
                var wasConnected = false;
                long? back = null;
                for (var i = 0; i + 1 < timeline.Length; i += 2)
                {
                    var at = (long)(timeline[i] * toOurTicks);
                    if (timeline[i + 1] != connectedState)
                    {
                        continue;
                    }

                    if (at < stoppedAt)
                    {
                        wasConnected = true;
                    }
                    else
                    {
                        back = at;
                        break;
                    }
                }

                if (!wasConnected)
                {
                    continue;
                }

                held++;
                var clientAttempts = client < attemptLists.Count ? Longs(attemptLists[client]).Select(a => (long)(a * toOurTicks)).ToArray() : [];
                attempts += clientAttempts.Count(a => a >= stoppedAt);
                if (back is { } backAt)
                {
                    backTimes.Add(backAt);
                    // An attempt's time is predicted (Reconnecting + announced delay), and .NET timers run on a
                    // millisecond clock, so the real dial can come slightly before it: accept attempts up to 50 ms after
                    // Connected, and count such a handshake as 0.
                    var slack = Stopwatch.Frequency / 20;
                    var last = clientAttempts.Where(a => a >= stoppedAt && a <= backAt + slack).DefaultIfEmpty(-1).Max();
                    if (last >= 0)
                    {
                        handshakes.Add(Math.Max(0, backAt - last) * 1000.0 / Stopwatch.Frequency);
                    }
                }

                // GOAWAYs as (timestamp, retry-after ms) pairs; the first attempt after the first GOAWAY after the stop.
                var clientGoaways = client < goawayLists.Count ? Longs(goawayLists[client]) : [];
                for (var i = 0; i + 1 < clientGoaways.Length; i += 2)
                {
                    var at = (long)(clientGoaways[i] * toOurTicks);
                    if (at < stoppedAt)
                    {
                        continue;
                    }

                    goaways++;
                    var allowedAt = at + (long)(clientGoaways[i + 1] / 1000.0 * Stopwatch.Frequency);
                    var firstAttempt = clientAttempts.Where(a => a >= at).DefaultIfEmpty(long.MaxValue).Min();

                    // A client that waits exactly its retry-after can land a few ticks short of it here: both times are
                    // converted from the load generator's clock separately, each rounded down. Early means by more
                    // than 10 µs, which no rounding explains (and a timer firing early, which it does not excuse, is more).
                    if (firstAttempt < allowedAt - (Stopwatch.Frequency / 100_000))
                    {
                        early++;
                    }

                    break;
                }
            }
        }

        backTimes.Sort();
        var afterListening = backTimes.Select(t => (t - listeningAgain) * 1000.0 / Stopwatch.Frequency).ToList();
        row["back_50_ms"] = TimeForShare(afterListening, held, 0.50);
        row["back_99_ms"] = TimeForShare(afterListening, held, 0.99);
        row["back_100_ms"] = TimeForShare(afterListening, held, 1.00);
        row["never_back"] = held - backTimes.Count;
        row["peak_handshakes_per_second"] = PeakPerSecond(backTimes);
        handshakes.Sort();
        row["handshake_p50_ms"] = Stats.Percentile(handshakes, 50);
        row["handshake_p99_ms"] = Stats.Percentile(handshakes, 99);
        row["attempts"] = attempts;
        row["sessions_lost"] = results.Sum(r => Json.Number(r, "sessionsLost") ?? 0);
        row["sessions_resumed"] = results.Sum(r => Json.Number(r, "sessionsResumed") ?? 0);
        row["goaways"] = goaways;
        row["before_retry_after"] = graceful ? early : null;
        row.Extra["clients_connected_before_stop"] = held;
        row.Extra["back_before_listening"] = afterListening.Count(t => t < 0);
    }

    /// <summary>The time by which <paramref name="share"/> of <paramref name="total"/> were back; null if they never were.</summary>
    private static double? TimeForShare(List<double> sortedTimes, double total, double share)
    {
        var needed = (int)Math.Ceiling(total * share);
        return needed == 0 ? 0 : needed <= sortedTimes.Count ? sortedTimes[needed - 1] : null;
    }

    /// <summary>The most timestamps in any one-second window (two pointers over the sorted times).</summary>
    private static double? PeakPerSecond(List<long> sorted)
    {
        if (sorted.Count == 0)
        {
            return null;
        }

        var best = 0;
        var start = 0;
        for (var end = 0; end < sorted.Count; end++)
        {
            while (sorted[end] - sorted[start] >= Stopwatch.Frequency)
            {
                start++;
            }

            best = Math.Max(best, end - start + 1);
        }

        return best;
    }

    /// <summary>The latest "storm: UP/CREATED connected" progress line of a load generator, if it came after <paramref name="since"/>.</summary>
    private static (int Up, int Created)? ConnectedLine(ChildProcess process, long since)
    {
        if (process.LastStderrTimestamp < since || process.LastStderrLine is not { } line)
        {
            return null;
        }

        var match = ConnectedPattern().Match(line);
        return match.Success
            ? (int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture))
            : null;
    }

    [GeneratedRegex(@"(\d+)/(\d+) connected")]
    private static partial Regex ConnectedPattern();

    private static long[] Longs(JsonNode? node) =>
        node is JsonArray array ? [.. array.Select(v => v is JsonValue value && value.TryGetValue<long>(out var l) ? l : (long)(Json.Number(v) ?? 0))] : [];

    /// <summary>A load-generator result without the per-client arrays (19,000 timelines would swamp the report).</summary>
    private static JsonObject Summary(JsonObject result)
    {
        var copy = (JsonObject)result.DeepClone();
        foreach (var name in new[] { "stateLog", "attemptLog", "goawayLog", "states", "attempts", "goaways" })
        {
            if (copy[name] is JsonArray)
            {
                copy.Remove(name);
            }
        }

        return copy;
    }
}
