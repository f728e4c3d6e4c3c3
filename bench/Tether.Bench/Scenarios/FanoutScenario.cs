using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Tether.Bench.Infra;
using Tether.Bench.Reporting;

namespace Tether.Bench.Scenarios;

/// <summary>The settings of <c>fanout</c>, after --quick defaults.</summary>
internal sealed record FanoutSettings(int Connections, int Processes, int Messages, TimeSpan Interval, int Size, int Runs, int ConnectConcurrency, TimeSpan DrainTimeout, bool Sessions)
{
    /// <summary>The receivers' protocol: with sessions, every copy is numbered per receiver and acknowledged.</summary>
    public string ReceiverProtocol => Sessions ? "tether" : "tether-nosession";
}

/// <summary>
/// <c>fanout</c>: tether serve --app broadcast with N receivers over several processes; one sender (its own process)
/// sends K messages; per message, the time until every receiver has it is the largest latency any process saw for it.
/// </summary>
internal static partial class FanoutScenario
{
    private static readonly Metric[] Metrics =
    [
        new("all_have_it_p50_ms", "all have it p50", MetricFormat.Milliseconds),
        new("all_have_it_p99_ms", "all have it p99", MetricFormat.Milliseconds),
        new("all_have_it_max_ms", "all have it max", MetricFormat.Milliseconds),
        new("delivery_p50_ms", "delivery p50", MetricFormat.Milliseconds),
        new("delivery_p99_ms", "delivery p99", MetricFormat.Milliseconds),
        new("delivery_p999_ms", "delivery p99.9", MetricFormat.Milliseconds),
        new("delivered_per_second", "delivered/s", MetricFormat.Rate),
        new("incomplete", "broadcasts incomplete", MetricFormat.Count),
        new("receivers", "receivers", MetricFormat.Count),
        new("sent", "sent", MetricFormat.Count),
        new("delivered", "delivered", MetricFormat.Count),
        new("missing", "missing", MetricFormat.Count),
        new("server_cpu_percent", "server CPU", MetricFormat.Percent),
        new("receivers_cpu_percent", "receivers CPU", MetricFormat.Percent),
    ];

    public static IEnumerable<Binary> Needed => [Binaries.Tether, Binaries.LoadGen];

    public static async Task<Report> RunAsync(BenchContext context, FanoutSettings settings)
    {
        var report = new Report("fanout",
            $"tether serve --app broadcast, {settings.Connections:N0} receivers ({(settings.Sessions ? "sessions on" : "sessions off")}) over {settings.Processes} processes, {settings.Messages} broadcasts of "
            + $"{settings.Size} B {Durations.Format(settings.Interval)} apart from one more process, {settings.Runs} run(s)");
        report.AddParameters(("connections", settings.Connections), ("processes", settings.Processes), ("messages", settings.Messages),
            ("interval", settings.Interval), ("size", settings.Size), ("runs", settings.Runs), ("connect_concurrency", settings.ConnectConcurrency),
            ("drain_timeout", settings.DrainTimeout), ("sessions", settings.Sessions), ("quick", context.Quick));
        await RepeatedRuns.AddToAsync(report, context, Metrics, settings.Runs, (run, row) => MeasureAsync(context, settings, run, row)).ConfigureAwait(false);

        context.Note("all have it = per broadcast, the largest (arrival - send stamp) over every receiver, p50/p99 over the broadcasts; "
            + "delivery = per received message; delivered/s = messages delivered / (first send to last arrival, taking message i as sent at i x interval); "
            + "when delivered/s is below receivers x broadcasts per second, the server fell behind and 'all have it' includes queueing behind earlier broadcasts");
        if (settings.Processes > 1)
        {
            context.Note("delivery percentiles over several processes: p50 is the delivery-weighted mean of theirs, p99/p99.9 the largest of theirs");
        }

        return report;
    }

    private static async Task MeasureAsync(BenchContext context, FanoutSettings settings, int run, ResultRow row)
    {
        var phase = $"run {run}/{settings.Runs}";
        var label = $"run{run}";
        context.Progress.Phase($"{phase}: starting the server");
        await using var server = await ServerLauncher.StartAsync(context, ServerKind.Tether, $"{label}-broadcast",
            ["--listen", "127.0.0.1:0", "--app", "broadcast"]).ConfigureAwait(false);
        row.Extra["server_command"] = server.Process.CommandLine;
        await Waits.DelayAsync(context, TimeSpan.FromSeconds(context.Quick ? 0.3 : 1), "letting the server settle", server).ConfigureAwait(false);

        var shares = LoadGenProcess.Split(settings.Connections, settings.Processes);
        var sending = TimeSpan.FromTicks(settings.Interval.Ticks * settings.Messages);
        var connectTimeout = TimeSpan.FromSeconds(Math.Max(60, settings.Connections / 250.0));
        var bound = connectTimeout + sending + TimeSpan.FromSeconds(180);
        var receivers = new List<LoadGenProcess>();
        LoadGenProcess? sender = null;
        try
        {
            context.Progress.Phase($"{phase}: connecting {settings.Connections:N0} receivers");
            for (var i = 0; i < shares.Length; i++)
            {
                receivers.Add(await LoadGenProcess.StartAsync(context, $"{label}-receivers{i + 1}", "fanout", server.Target(), settings.ReceiverProtocol,
                    LoadGenProcess.SourceAddress(i),
                [
                    "--connections", shares[i].ToString(CultureInfo.InvariantCulture),
                    "--size", settings.Size.ToString(CultureInfo.InvariantCulture),
                    "--connect-concurrency", settings.ConnectConcurrency.ToString(CultureInfo.InvariantCulture),
                    "--duration", Durations.Format(bound),
                ]).ConfigureAwait(false));
            }

            await Waits.ReadyAsync(context, receivers, settings.Connections, connectTimeout, server).ConfigureAwait(false);

            // The sender is a process of its own (with the one receiver the load generator insists on), started once
            // every receiver is up, so that the first broadcast already goes to all of them.
            context.Progress.Phase($"{phase}: broadcasting {settings.Messages} messages");
            var cpu = new CpuMeter(server.Pid);
            var receiverCpu = receivers.Select(r => new CpuMeter(r.Process.Pid)).ToList();
            sender = await LoadGenProcess.StartAsync(context, $"{label}-sender", "fanout", server.Target(), "tether",
                LoadGenProcess.SourceAddress(shares.Length),
            [
                "--connections", "1",
                "--send", settings.Messages.ToString(CultureInfo.InvariantCulture),
                "--interval", Durations.Format(settings.Interval),
                "--size", settings.Size.ToString(CultureInfo.InvariantCulture),
                "--duration", Durations.Format(bound),
            ]).ConfigureAwait(false);
            var senderResult = await Waits.ResultsAsync(context, [sender], sending + TimeSpan.FromSeconds(60), server,
                () => $"sending; {sender.Process.LastStderrLine}").ConfigureAwait(false);
            row["server_cpu_percent"] = cpu.PercentOfOneCore();

            // The sender's own receiver has everything (or gave up after 5 s); the others may still be catching up. Their
            // stderr says "fanout: N received" about once a second: wait until every message reached every receiver, or
            // until no more arrive for 5 s (bounded by --drain-timeout).
            var expected = (double)settings.Messages * settings.Connections;
            var drainStart = Stopwatch.GetTimestamp();
            var lastTotal = -1.0;
            var lastChange = Stopwatch.GetTimestamp();
            while (Stopwatch.GetElapsedTime(drainStart) < settings.DrainTimeout)
            {
                context.CancellationToken.ThrowIfCancellationRequested();
                server.EnsureRunning();
                var total = receivers.Sum(r => ReceivedLine(r.Process));
                if (total != lastTotal)
                {
                    (lastTotal, lastChange) = (total, Stopwatch.GetTimestamp());
                }

                context.Progress.Status($"{total:N0}/{expected:N0} delivered");
                if (total >= expected || Stopwatch.GetElapsedTime(lastChange) > TimeSpan.FromSeconds(5))
                {
                    break;
                }

                await Task.Delay(250, context.CancellationToken).ConfigureAwait(false);
            }

            row["receivers_cpu_percent"] = SumCpu(receiverCpu);
            var results = await Waits.StopAllAsync(context, receivers, TimeSpan.FromSeconds(60)).ConfigureAwait(false);
            // The sender's process ends 5 s after its last send whatever its one receiver got: only the receiving
            // processes count as receivers.
            Compute(results, Json.Number(senderResult[0], "sent") ?? 0, row, settings.Interval);
            row.Extra["loadgen_results"] = new JsonArray([.. results.Concat(senderResult).Select(r => (JsonNode?)r.DeepClone())]);
        }
        finally
        {
            await Waits.DisposeAllAsync(receivers).ConfigureAwait(false);
            if (sender is not null)
            {
                await sender.DisposeAsync().ConfigureAwait(false);
            }
        }

        context.Progress.Status("stopping the server");
        await server.StopAsync().ConfigureAwait(false);
        context.Progress.Note($"run {run}: all have it p50 {ReportWriter.Format(row["all_have_it_p50_ms"], MetricFormat.Milliseconds)}, "
            + $"p99 {ReportWriter.Format(row["all_have_it_p99_ms"], MetricFormat.Milliseconds)}; {ReportWriter.Format(row["delivered"], MetricFormat.Count)} delivered, "
            + $"{ReportWriter.Format(row["missing"], MetricFormat.Count)} missing");
    }

    /// <summary>The count in the latest "fanout: N received" line of a receiving process.</summary>
    private static double ReceivedLine(ChildProcess process) =>
        process.LastStderrLine is { } line && ReceivedPattern().Match(line) is { Success: true } match
            ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)
            : 0;

    [GeneratedRegex(@"fanout: (\d+) received")]
    private static partial Regex ReceivedPattern();

    private static double? SumCpu(IEnumerable<CpuMeter> meters)
    {
        var each = meters.Select(m => m.PercentOfOneCore()).ToList();
        return each.All(p => p is not null) ? each.Sum() : null;
    }

    /// <summary>Combines the per-process results (each with per-message counts and largest latency) into the row.</summary>
    internal static void Compute(IReadOnlyList<JsonObject> results, double sentCount, ResultRow row, TimeSpan interval)
    {
        var sent = (int)sentCount;
        var receivers = results.Sum(r => Json.Number(r, "connected") ?? 0);
        row["sent"] = sent;
        row["receivers"] = receivers;
        var delivered = results.Sum(r => Json.Number(r, "received") ?? 0);
        row["delivered"] = delivered;
        row["missing"] = Math.Max(0, (sent * receivers) - delivered);

        // Per message: complete when every process got it on all its receivers; its time is the largest latency seen.
        var perProcess = results.Select(r => (
            Receivers: Json.Number(r, "connected") ?? 0,
            Counts: Json.Array(r, "counts")?.Select(Json.Number).ToArray() ?? [],
            Maxima: Json.Array(r, "maxLatencyMs", "maxMs")?.Select(Json.Number).ToArray() ?? [])).ToList();
        var completions = new List<double>();
        var incomplete = 0;
        var lastArrivalMs = 0.0;
        for (var id = 0; id < sent; id++)
        {
            var complete = true;
            double worst = 0;
            foreach (var (processReceivers, counts, maxima) in perProcess)
            {
                if ((id < counts.Length ? counts[id] ?? 0 : 0) < processReceivers)
                {
                    complete = false;
                }

                if (id < maxima.Length && maxima[id] is { } ms)
                {
                    worst = Math.Max(worst, ms);
                }
            }

            // Message id was sent about id x interval after the first (the sender paces them with a periodic timer).
            lastArrivalMs = Math.Max(lastArrivalMs, (id * interval.TotalMilliseconds) + worst);
            if (complete)
            {
                completions.Add(worst);
            }
            else
            {
                incomplete++;
            }
        }

        completions.Sort();
        row["all_have_it_p50_ms"] = Stats.Percentile(completions, 50);
        row["all_have_it_p99_ms"] = Stats.Percentile(completions, 99);
        row["all_have_it_max_ms"] = completions.Count > 0 ? completions[^1] : null;
        row.Extra["broadcasts_complete"] = completions.Count;
        row["incomplete"] = incomplete;
        row.Extra["all_have_it_ms"] = new JsonArray([.. completions.Select(c => (JsonNode?)JsonValue.Create(c))]);

        var weights = results.Select(r => Json.Number(r, "received") ?? 0).ToList();
        var p50s = results.Select(r => Json.Number(r, "p50Ms")).ToList();
        if (weights.Sum() > 0)
        {
            row["delivery_p50_ms"] = p50s.Zip(weights, (p, w) => (p ?? 0) * w).Sum() / weights.Sum();
        }

        row["delivery_p99_ms"] = results.Where(r => Json.Number(r, "received") > 0).Max(r => Json.Number(r, "p99Ms"));
        row["delivery_p999_ms"] = results.Where(r => Json.Number(r, "received") > 0).Max(r => Json.Number(r, "p999Ms"));
        if (lastArrivalMs > 0)
        {
            row["delivered_per_second"] = delivered / (lastArrivalMs / 1000);
        }

        if (row["all_have_it_p50_ms"] is { } median && median > 0)
        {
            row.Extra["one_broadcast_per_second"] = Math.Round(receivers / (median / 1000), 1);
        }
    }
}
