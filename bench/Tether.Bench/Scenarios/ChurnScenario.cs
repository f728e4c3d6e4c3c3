using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Tether.Bench.Infra;
using Tether.Bench.Reporting;

namespace Tether.Bench.Scenarios;

/// <summary>The settings of <c>churn</c>, after --quick defaults.</summary>
internal sealed record ChurnSettings(int Connections, TimeSpan Duration, TimeSpan Warmup, TimeSpan Settle, TimeSpan Sample, double TolerancePercent, bool Sessions)
{
    public string Protocol => Sessions ? "tether" : "tether-nosession";
}

/// <summary>
/// <c>churn</c>: C loops of connect, HELLO, one echoed message, CLOSE, disconnect, for D, while the server's RSS is
/// sampled; after a settle the RSS must be back within the tolerance of its baseline (no leak). The baseline is taken
/// after a warm-up churn and the same settle, so that one-time growth (JIT, pools, GC budgets) is not counted as a leak.
/// With sessions on (the default, as in the product) every cycle leaves a detached session that the server keeps for its
/// time to live (2 minutes) and then remembers as lost (up to 100,000, about 10 MB): bounded, not a leak, so the defaults
/// warm up long enough to fill that and rest longer than the time to live before each sample.
/// </summary>
internal static class ChurnScenario
{
    private static readonly Metric[] Metrics =
    [
        new("rss_cold_bytes", "RSS cold", MetricFormat.Bytes),
        new("rss_baseline_bytes", "RSS baseline", MetricFormat.Bytes),
        new("rss_peak_bytes", "RSS peak", MetricFormat.Bytes),
        new("rss_final_bytes", "RSS final", MetricFormat.Bytes),
        new("final_over_baseline", "final/baseline", MetricFormat.Ratio),
        new("heap_baseline_bytes", "heap baseline", MetricFormat.Bytes),
        new("heap_final_bytes", "heap final", MetricFormat.Bytes),
        new("heap_final_over_baseline", "heap final/baseline", MetricFormat.Ratio),
        new("cycles", "cycles", MetricFormat.Count),
        new("cycles_per_second", "cycles/s", MetricFormat.Rate),
        new("errors", "errors", MetricFormat.Count),
    ];

    /// <summary>How long tether serve keeps a detached session (ServerSessionOptions.DetachedTimeToLive; tether serve has no option for it).</summary>
    public static readonly TimeSpan SessionTimeToLive = TimeSpan.FromMinutes(2);

    public static IEnumerable<Binary> Needed => [Binaries.Tether, Binaries.LoadGen];

    public static async Task<Report> RunAsync(BenchContext context, ChurnSettings settings)
    {
        var report = new Report("churn",
            $"{settings.Connections} loops of connect, HELLO ({(settings.Sessions ? "sessions on" : "sessions off")}), one echoed DATA, CLOSE, disconnect for {Durations.Format(settings.Duration)} "
            + $"(after a {Durations.Format(settings.Warmup)} warm-up); RSS sampled every {Durations.Format(settings.Sample)}, final after {Durations.Format(settings.Settle)} "
            + $"of rest; pass if final <= baseline + {settings.TolerancePercent.ToString(CultureInfo.InvariantCulture)} %");
        report.AddParameters(("connections", settings.Connections), ("duration", settings.Duration), ("warmup", settings.Warmup),
            ("settle", settings.Settle), ("sample", settings.Sample), ("tolerance_percent", settings.TolerancePercent), ("sessions", settings.Sessions), ("protocol", settings.Protocol), ("quick", context.Quick));

        var table = new ResultTable("results", "server memory across the churn", Metrics) { TextColumns = { ("verdict", "verdict") } };
        var row = new ResultRow(ServerKind.Tether.Name);
        table.Rows.Add(row);
        report.Tables.Add(table);

        context.Progress.Phase("starting the server");
        await using var server = await ServerLauncher.StartAsync(context, ServerKind.Tether, "churn").ConfigureAwait(false);
        row.Extra["server_command"] = server.Process.CommandLine;
        await Waits.DelayAsync(context, TimeSpan.FromSeconds(context.Quick ? 0.5 : 2), "letting the server settle", server).ConfigureAwait(false);
        row["rss_cold_bytes"] = ProcStats.RssBytes(server.Pid);

        var series = new JsonArray();
        var start = Stopwatch.GetTimestamp();
        void Sample(string phase)
        {
            var rss = ProcStats.RssBytes(server.Pid);
            series.Add(new JsonObject
            {
                ["t_s"] = Math.Round(Stopwatch.GetElapsedTime(start).TotalSeconds, 2),
                ["phase"] = phase,
                ["rss_bytes"] = rss,
            });
        }

        Sample("cold");
        if (settings.Warmup > TimeSpan.Zero)
        {
            context.Progress.Phase($"warm-up churn for {Durations.Format(settings.Warmup)}");
            await ChurnAsync(context, server, settings, settings.Warmup, "warmup", Sample, null).ConfigureAwait(false);
            context.Progress.Phase($"resting {Durations.Format(settings.Settle)} before the baseline");
            await Waits.DelayAsync(context, settings.Settle, "resting", server).ConfigureAwait(false);
        }

        // The first EventPipe sessions leave a few MB of buffers in the server for good: open one first, so that the
        // cost is in both samples. RSS is sampled right after each induced full GC, the same state both times.
        await HeapAsync(context, server).ConfigureAwait(false);
        row["heap_baseline_bytes"] = await HeapAsync(context, server).ConfigureAwait(false);
        row["rss_baseline_bytes"] = ProcStats.RssBytes(server.Pid);
        Sample("baseline");

        context.Progress.Phase($"churn for {Durations.Format(settings.Duration)}");
        double peak = row["rss_baseline_bytes"] ?? 0;
        var result = await ChurnAsync(context, server, settings, settings.Duration, "churn", Sample, rss => peak = Math.Max(peak, rss)).ConfigureAwait(false);
        row["rss_peak_bytes"] = peak;
        row["cycles"] = Json.Number(result, "cycles", "loops", "completed");
        row["cycles_per_second"] = Json.Number(result, "cyclesPerSecond", "loopsPerSecond", "rate")
            ?? (row["cycles"] is { } cycles ? cycles / settings.Duration.TotalSeconds : null);
        row["errors"] = Json.Number(result, "errors");
        row.Extra["loadgen_result"] = result.DeepClone();

        context.Progress.Phase($"resting {Durations.Format(settings.Settle)} before the final sample");
        await Waits.DelayAsync(context, settings.Settle, "resting", server).ConfigureAwait(false);
        row["heap_final_bytes"] = await HeapAsync(context, server).ConfigureAwait(false);
        row["rss_final_bytes"] = ProcStats.RssBytes(server.Pid);
        Sample("final");
        row["final_over_baseline"] = Stats.Ratio(row["rss_final_bytes"], row["rss_baseline_bytes"]);
        row["heap_final_over_baseline"] = Stats.Ratio(row["heap_final_bytes"], row["heap_baseline_bytes"]);
        var pass = row["final_over_baseline"] is { } ratio && ratio <= 1 + (settings.TolerancePercent / 100);
        row.Texts["verdict"] = row["final_over_baseline"] is null ? "unknown" : pass ? "PASS" : "FAIL";
        report.Details["rss_series"] = series;
        report.Details["pass"] = pass;
        if (!pass)
        {
            if (context.Quick)
            {
                context.Note("the verdict of a --quick run is informational (too short to tell a leak from warm-up growth); the exit code ignores it");
            }
            else
            {
                report.ExitCode = 3;
            }
        }

        context.Progress.Status("stopping the server");
        await server.StopAsync().ConfigureAwait(false);
        if (settings.Sessions && settings.Settle <= SessionTimeToLive)
        {
            context.Note($"with sessions on, a rest of {Durations.Format(settings.Settle)} is shorter than the session time to live ({Durations.Format(SessionTimeToLive)}): the final sample still holds detached sessions");
        }

        context.Note("baseline = RSS after the warm-up churn and a rest, final = after the churn and the same rest, both sampled right after a full GC induced over EventPipe (which also gives the managed heap; informational, the verdict uses RSS); exit code 3 when the verdict is FAIL");
        return report;
    }

    private static async Task<JsonObject> ChurnAsync(BenchContext context, RunningServer server, ChurnSettings settings, TimeSpan duration, string label,
        Action<string> sample, Action<double>? onRss)
    {
        var loadGen = await LoadGenProcess.StartAsync(context, $"churn-{label}", "churn", server.Target(), settings.Protocol, LoadGenProcess.SourceAddress(0),
        [
            "--connections", settings.Connections.ToString(CultureInfo.InvariantCulture),
            "--duration", Durations.Format(duration),
        ]).ConfigureAwait(false);
        await using (loadGen.ConfigureAwait(false))
        {
            var deadline = Stopwatch.GetTimestamp() + (long)((duration + TimeSpan.FromSeconds(60)).TotalSeconds * Stopwatch.Frequency);
            var nextSample = Stopwatch.GetTimestamp();
            while (!loadGen.Result.IsCompleted)
            {
                context.CancellationToken.ThrowIfCancellationRequested();
                server.EnsureRunning();
                var now = Stopwatch.GetTimestamp();
                if (now > deadline)
                {
                    return await loadGen.StopAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
                }

                if (now >= nextSample)
                {
                    sample(label);
                    if (ProcStats.RssBytes(server.Pid) is { } rss)
                    {
                        onRss?.Invoke(rss);
                        var cycles = Json.Number(loadGen.LastProgress, "cycles", "loops", "completed");
                        context.Progress.Status($"RSS {ReportWriter.Format(rss, MetricFormat.Bytes)}{(cycles is { } c ? $", {c.ToString("N0", CultureInfo.InvariantCulture)} cycles" : "")}");
                    }

                    nextSample += (long)(settings.Sample.TotalSeconds * Stopwatch.Frequency);
                }

                await Task.WhenAny(loadGen.Result, Task.Delay(100, context.CancellationToken)).ConfigureAwait(false);
            }

            return await loadGen.Result.ConfigureAwait(false);
        }
    }

    private static async Task<double?> HeapAsync(BenchContext context, RunningServer server)
    {
        context.Progress.Status("managed heap (induced GC)");
        var (bytes, error) = await HeapProbe.MeasureAsync(server.Pid, TimeSpan.FromSeconds(20), context.CancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            context.Note($"managed heap not measured: {error}");
        }

        return bytes;
    }
}
