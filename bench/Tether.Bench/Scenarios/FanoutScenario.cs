using System.Globalization;
using System.Text.Json.Nodes;
using Tether.Bench.Infra;
using Tether.Bench.Reporting;

namespace Tether.Bench.Scenarios;

/// <summary>The settings of <c>fanout</c>, after --quick defaults.</summary>
internal sealed record FanoutSettings(int Connections, int Processes, int Messages, TimeSpan Interval, int Size, int Runs, int ConnectConcurrency);

/// <summary>
/// <c>fanout</c>: tether serve --app broadcast with N receivers over several processes; one sender (its own process)
/// sends K messages; per message, the time until every receiver has it is the largest latency any process saw for it.
/// </summary>
internal static class FanoutScenario
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
        new("receivers", "receivers", MetricFormat.Count),
        new("sent", "sent", MetricFormat.Count),
        new("delivered", "delivered", MetricFormat.Count),
        new("missing", "missing", MetricFormat.Count),
        new("server_cpu_percent", "server CPU", MetricFormat.Percent),
    ];

    public static IEnumerable<Binary> Needed => [Binaries.Tether, Binaries.LoadGen];

    public static async Task<Report> RunAsync(BenchContext context, FanoutSettings settings)
    {
        var report = new Report("fanout",
            $"tether serve --app broadcast, {settings.Connections:N0} receivers over {settings.Processes} processes, {settings.Messages} broadcasts of "
            + $"{settings.Size} B {Durations.Format(settings.Interval)} apart from one more process, {settings.Runs} run(s)");
        report.AddParameters(("connections", settings.Connections), ("processes", settings.Processes), ("messages", settings.Messages),
            ("interval", settings.Interval), ("size", settings.Size), ("runs", settings.Runs), ("connect_concurrency", settings.ConnectConcurrency),
            ("quick", context.Quick));
        var runs = new ResultTable("runs", "every run", Metrics, "run") { TextColumns = { ("error", "error") } };
        for (var run = 1; run <= settings.Runs; run++)
        {
            var row = new ResultRow(run.ToString(CultureInfo.InvariantCulture));
            runs.Rows.Add(row);
            try
            {
                await MeasureAsync(context, settings, run, row).ConfigureAwait(false);
            }
            catch (BenchException ex)
            {
                row.Texts["error"] = ex.Message;
                context.Note($"run {run}: {ex.Message}");
            }
        }

        report.Tables.Add(runs);
        if (settings.Runs > 1)
        {
            report.Tables.Add(runs.Medians("medians", $"medians of {settings.Runs} runs", _ => "median"));
        }

        context.Note("all have it = per broadcast, the largest (arrival - send stamp) over every receiver, p50/p99 over the broadcasts; "
            + "delivery = per received message; delivered/s = receivers / (median time until all have it), the rate at which one broadcast reaches everyone");
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
                receivers.Add(await LoadGenProcess.StartAsync(context, $"{label}-receivers{i + 1}", "fanout", server.Target(), "tether",
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

            // The sender's own receiver has everything (or gave up after 5 s); give the others a moment more, then stop them.
            await Waits.DelayAsync(context, TimeSpan.FromSeconds(1), "letting the last deliveries arrive", server).ConfigureAwait(false);
            var results = await Waits.StopAllAsync(context, receivers, TimeSpan.FromSeconds(60)).ConfigureAwait(false);
            Compute([.. results, .. senderResult], row);
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

    /// <summary>Combines the per-process results (each with per-message counts and largest latency) into the row.</summary>
    internal static void Compute(IReadOnlyList<JsonObject> results, ResultRow row)
    {
        var sent = (int)(results.Max(r => Json.Number(r, "sent")) ?? 0);
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
        row.Extra["broadcasts_incomplete"] = incomplete;
        row.Extra["all_have_it_ms"] = new JsonArray([.. completions.Select(c => (JsonNode?)JsonValue.Create(c))]);

        var weights = results.Select(r => Json.Number(r, "received") ?? 0).ToList();
        var p50s = results.Select(r => Json.Number(r, "p50Ms")).ToList();
        if (weights.Sum() > 0)
        {
            row["delivery_p50_ms"] = p50s.Zip(weights, (p, w) => (p ?? 0) * w).Sum() / weights.Sum();
        }

        row["delivery_p99_ms"] = results.Where(r => Json.Number(r, "received") > 0).Max(r => Json.Number(r, "p99Ms"));
        row["delivery_p999_ms"] = results.Where(r => Json.Number(r, "received") > 0).Max(r => Json.Number(r, "p999Ms"));
        if (row["all_have_it_p50_ms"] is { } median && median > 0)
        {
            row["delivered_per_second"] = receivers / (median / 1000);
        }
    }
}
