using System.Globalization;
using Tether.Bench.Infra;
using Tether.Bench.Reporting;

namespace Tether.Bench.Scenarios;

/// <summary>The settings of <c>connections</c>, after --quick defaults.</summary>
internal sealed record ConnectionsSettings(
    int Connections,
    IReadOnlyList<ServerKind> Servers,
    int Processes,
    TimeSpan Heartbeat,
    TimeSpan Settle,
    TimeSpan Measure,
    int Runs,
    int ConnectConcurrency,
    bool Heap);

/// <summary>
/// <c>connections</c>: per server, hold N idle connections with the same heartbeat and report the server's memory per
/// connection (RSS, and managed heap for .NET servers) and its CPU over a period of heartbeating. Every run restarts
/// every server; the tables show each run, the medians, and Tether / peer ratios.
/// </summary>
internal static class ConnectionsScenario
{
    public const int MaxPerProcess = 19_000;

    private static readonly Metric[] Metrics =
    [
        new("rss_before_bytes", "RSS before", MetricFormat.Bytes),
        new("rss_after_bytes", "RSS after", MetricFormat.Bytes),
        new("rss_per_connection_bytes", "RSS/conn", MetricFormat.BytesExact),
        new("heap_before_bytes", "heap before", MetricFormat.Bytes),
        new("heap_after_bytes", "heap after", MetricFormat.Bytes),
        new("heap_per_connection_bytes", "heap/conn", MetricFormat.BytesExact),
        new("cpu_percent", "CPU (% of 1 core)", MetricFormat.Percent),
        new("threads", "threads", MetricFormat.Count),
        new("held", "held", MetricFormat.Count),
        new("failed", "failed", MetricFormat.Count),
        new("dropped", "dropped", MetricFormat.Count),
    ];

    public static IEnumerable<Binary> Needed(ConnectionsSettings settings) =>
        settings.Servers.Where(s => s.Binary is not null).Select(s => s.Binary!).Append(Binaries.LoadGen);

    public static async Task<Report> RunAsync(BenchContext context, ConnectionsSettings settings)
    {
        var heartbeat = Durations.Format(settings.Heartbeat);
        var report = new Report("connections",
            $"{settings.Connections:N0} idle connections over {settings.Processes} load-generator processes, heartbeat {heartbeat} for every server, "
            + $"settle {Durations.Format(settings.Settle)}, CPU over {Durations.Format(settings.Measure)}, {settings.Runs} run(s)");
        report.AddParameters(
            ("connections", settings.Connections), ("servers", settings.Servers.Select(s => s.Name)), ("processes", settings.Processes),
            ("heartbeat", settings.Heartbeat), ("settle", settings.Settle), ("measure", settings.Measure), ("runs", settings.Runs),
            ("connect_concurrency", settings.ConnectConcurrency), ("heap", settings.Heap), ("quick", context.Quick));

        var servers = settings.Servers.ToList();
        if (servers.Contains(ServerKind.Mosquitto) && ServerLauncher.MosquittoUnavailable(context.Root) is { } why)
        {
            context.Note($"mosquitto skipped: {why}");
            servers.Remove(ServerKind.Mosquitto);
        }

        if (servers.Count == 0)
        {
            throw new BenchException("no server left to measure");
        }

        var runs = new ResultTable("runs", "every run", Metrics) { TextColumns = { ("error", "error") } };
        for (var run = 1; run <= settings.Runs; run++)
        {
            foreach (var server in servers)
            {
                context.CancellationToken.ThrowIfCancellationRequested();
                var row = new ResultRow(server.Name);
                row.Extra["run"] = run;
                runs.Rows.Add(row);
                try
                {
                    await MeasureAsync(context, settings, server, run, row).ConfigureAwait(false);
                }
                catch (BenchException ex)
                {
                    // One server failing must not lose the others' figures: note it and go on.
                    row.Texts["error"] = ex.Message;
                    context.Note($"run {run} {server.Name}: {ex.Message}");
                }
            }
        }

        var medians = runs.Medians("medians", settings.Runs > 1 ? $"medians of {settings.Runs} runs" : "results", r => r.Label);
        report.Tables.Add(runs);
        report.Tables.Add(medians);
        report.Tables.Add(medians.Ratios("ratios", "Tether / peer (below 1 means Tether uses less)", ServerKind.Tether.Name));
        // With one run the "results" table says it all; the JSON still has every run.
        runs.HiddenInTable = settings.Runs == 1;

        if (servers.Any(s => !s.IsDotNet))
        {
            context.Note("heap columns are empty for mosquitto: it is not a .NET process (its whole footprint is in RSS)");
        }

        context.Note("RSS/conn = (RSS after - RSS before) / connections held; heap = managed heap after a full GC induced over EventPipe (GC + GCHeapCollect keywords), so it excludes garbage, and the RSS of .NET servers is sampled right after that GC (a first EventPipe session is opened before the baseline, as it leaves a few MB of buffers behind); CPU = utime+stime from /proc over the measurement, in % of one core");
        return report;
    }

    private static async Task MeasureAsync(BenchContext context, ConnectionsSettings settings, ServerKind kind, int run, ResultRow row)
    {
        var label = $"run{run}-{kind.Name}";
        var phase = $"run {run}/{settings.Runs} {kind.Name}";
        context.Progress.Phase($"{phase}: starting the server");
        var heartbeat = Durations.Format(settings.Heartbeat);
        await using var server = await ServerLauncher.StartAsync(context, kind, label,
            ["--listen", "127.0.0.1:0", "--heartbeat", heartbeat]).ConfigureAwait(false);
        row.Extra["server_command"] = server.Process.CommandLine;

        // Let start-up work (JIT, first timers) finish before the baseline.
        await Waits.DelayAsync(context, TimeSpan.FromSeconds(context.Quick ? 0.5 : 2), "letting the server settle", server).ConfigureAwait(false);
        if (kind.IsDotNet && settings.Heap)
        {
            // The first EventPipe sessions leave a few MB of buffers in the server for good: open one first, so that the
            // cost is in both samples. Then RSS is sampled right after each induced full GC, the same state both times.
            context.Progress.Status("managed heap before (induced GC)");
            await HeapAsync(context, server, kind).ConfigureAwait(false);
            row["heap_before_bytes"] = await HeapAsync(context, server, kind).ConfigureAwait(false);
        }

        row["rss_before_bytes"] = ProcStats.RssBytes(server.Pid);

        var shares = LoadGenProcess.Split(settings.Connections, settings.Processes);
        var connectTimeout = TimeSpan.FromSeconds(Math.Max(60, settings.Connections / 250.0));
        // A bound for the load generators themselves, should the orchestrator be unable to stop them.
        var bound = connectTimeout + settings.Settle + settings.Measure + TimeSpan.FromSeconds(120);
        var loadGens = new List<LoadGenProcess>();
        try
        {
            context.Progress.Phase($"{phase}: connecting");
            for (var i = 0; i < shares.Length; i++)
            {
                loadGens.Add(await LoadGenProcess.StartAsync(context, $"{label}-idle{i + 1}", "idle", server.Target(), kind.Protocol,
                    LoadGenProcess.SourceAddress(i),
                [
                    "--connections", shares[i].ToString(CultureInfo.InvariantCulture),
                    "--heartbeat", heartbeat,
                    "--connect-concurrency", settings.ConnectConcurrency.ToString(CultureInfo.InvariantCulture),
                    "--duration", Durations.Format(bound),
                ]).ConfigureAwait(false));
            }

            var ready = await Waits.ReadyAsync(context, loadGens, settings.Connections, connectTimeout, server).ConfigureAwait(false);
            var held = ready.Sum(r => Json.Number(r, "connected") ?? 0);
            row["held"] = held;
            row["failed"] = ready.Sum(r => Json.Number(r, "failed") ?? 0);
            context.Progress.Phase($"{phase}: {held:N0} connected");
            if (held < settings.Connections)
            {
                context.Note($"run {run} {kind.Name}: only {held:N0} of {settings.Connections:N0} connections came up");
            }

            await Waits.DelayAsync(context, settings.Settle, "settling", server).ConfigureAwait(false);
            if (kind.IsDotNet && settings.Heap)
            {
                context.Progress.Status("managed heap after (induced GC)");
                row["heap_after_bytes"] = await HeapAsync(context, server, kind).ConfigureAwait(false);
            }

            row["rss_after_bytes"] = ProcStats.RssBytes(server.Pid);
            row["threads"] = ProcStats.Threads(server.Pid);

            context.Progress.Phase($"{phase}: measuring CPU over {Durations.Format(settings.Measure)} of heartbeats");
            var cpu = new CpuMeter(server.Pid);
            await Waits.DelayAsync(context, settings.Measure, "measuring", server,
                () => cpu.PercentOfOneCore() is { } p ? $"{p.ToString("F1", CultureInfo.InvariantCulture)} % CPU so far" : "").ConfigureAwait(false);
            row["cpu_percent"] = cpu.PercentOfOneCore();
            server.EnsureRunning();

            var results = await Waits.StopAllAsync(context, loadGens, TimeSpan.FromSeconds(60)).ConfigureAwait(false);
            row["dropped"] = Sum(results, "dropped", "disconnected", "lost");
            row.Extra["loadgen_results"] = new System.Text.Json.Nodes.JsonArray(results.Select(r => (System.Text.Json.Nodes.JsonNode?)r.DeepClone()).ToArray());
        }
        finally
        {
            await Waits.DisposeAllAsync(loadGens).ConfigureAwait(false);
        }

        if (row["held"] is { } connections && connections > 0)
        {
            row["rss_per_connection_bytes"] = (row["rss_after_bytes"] - row["rss_before_bytes"]) / connections;
            row["heap_per_connection_bytes"] = (row["heap_after_bytes"] - row["heap_before_bytes"]) / connections;
        }

        context.Progress.Status("stopping the server");
        await server.StopAsync().ConfigureAwait(false);
        context.Progress.Note($"run {run} {kind.Name}: {row["held"]:N0} held, RSS/conn {ReportWriter.Format(row["rss_per_connection_bytes"], MetricFormat.BytesExact)}, "
            + $"heap/conn {ReportWriter.Format(row["heap_per_connection_bytes"], MetricFormat.BytesExact)}, CPU {ReportWriter.Format(row["cpu_percent"], MetricFormat.Percent)}");
    }

    private static async Task<double?> HeapAsync(BenchContext context, RunningServer server, ServerKind kind)
    {
        var (bytes, error) = await HeapProbe.MeasureAsync(server.Pid, TimeSpan.FromSeconds(20), context.CancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            context.Note($"{kind.Name}: managed heap not measured: {error}");
        }

        return bytes;
    }

    private static double? Sum(IEnumerable<System.Text.Json.Nodes.JsonObject> results, params string[] names)
    {
        var values = results.Select(r => Json.Number(r, names)).ToList();
        return values.All(v => v is null) ? null : values.Sum(v => v ?? 0);
    }
}
