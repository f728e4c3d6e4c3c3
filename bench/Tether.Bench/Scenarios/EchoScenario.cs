using System.Globalization;
using System.Text.Json.Nodes;
using Tether.Bench.Infra;
using Tether.Bench.Reporting;

namespace Tether.Bench.Scenarios;

/// <summary>One row of <c>echo</c>: which server, which of its ports, and what the load generator speaks.</summary>
internal sealed record EchoTarget(string Name, ServerKind Server, int PortIndex, string Protocol, string Description)
{
    public static readonly EchoTarget TetherRaw = new("tether-raw", ServerKind.Tether, 1, "raw", "tether serve, raw framing listener");
    public static readonly EchoTarget TetherSessions = new("tether", ServerKind.Tether, 0, "tether", "tether protocol, sessions on");
    public static readonly EchoTarget TetherNoSessions = new("tether-nosession", ServerKind.Tether, 0, "tether-nosession", "tether protocol, sessions off");
    public static readonly EchoTarget Kestrel = new("kestrel", ServerKind.Kestrel, 0, "raw", "Kestrel ConnectionHandler echo");
    public static readonly EchoTarget DotNetty = new("dotnetty", ServerKind.DotNetty, 0, "raw", "DotNetty echo");

    public static readonly IReadOnlyList<EchoTarget> All = [TetherRaw, TetherSessions, TetherNoSessions, Kestrel, DotNetty];

    public static EchoTarget Parse(string name) => All.First(t => t.Name == name);
}

/// <summary>The settings of <c>echo</c>, after --quick defaults.</summary>
internal sealed record EchoSettings(
    int Connections,
    int InFlight,
    int Size,
    TimeSpan Duration,
    TimeSpan Warmup,
    int LoadGenProcesses,
    IReadOnlyList<EchoTarget> Targets,
    int Runs);

/// <summary>
/// <c>echo</c>: C connections, each with W messages of S bytes in flight, for D; messages per second and round-trip
/// latency percentiles for Tether (raw framing, protocol with sessions on and off) and the echo peers, with ratios to Kestrel.
/// </summary>
internal static class EchoScenario
{
    private static readonly Metric[] Metrics =
    [
        new("messages_per_second", "messages/s", MetricFormat.Rate),
        new("p50_ms", "p50", MetricFormat.Milliseconds),
        new("p99_ms", "p99", MetricFormat.Milliseconds),
        new("p999_ms", "p99.9", MetricFormat.Milliseconds),
        new("max_ms", "max", MetricFormat.Milliseconds),
        new("server_cpu_percent", "server CPU", MetricFormat.Percent),
        new("loadgen_cpu_percent", "load gen CPU", MetricFormat.Percent),
        new("errors", "errors", MetricFormat.Count),
    ];

    public static IEnumerable<Binary> Needed(EchoSettings settings) =>
        settings.Targets.Select(t => t.Server.Binary!).Append(Binaries.LoadGen);

    public static async Task<Report> RunAsync(BenchContext context, EchoSettings settings)
    {
        var report = new Report("echo",
            $"{settings.Connections:N0} connections x {settings.InFlight} in flight x {settings.Size} B for {Durations.Format(settings.Duration)} "
            + $"(warm-up {Durations.Format(settings.Warmup)}), {settings.LoadGenProcesses} load-generator process(es), {settings.Runs} run(s)");
        report.AddParameters(("connections", settings.Connections), ("in_flight", settings.InFlight), ("size", settings.Size),
            ("duration", settings.Duration), ("warmup", settings.Warmup), ("loadgen_processes", settings.LoadGenProcesses),
            ("targets", settings.Targets.Select(t => t.Name)), ("runs", settings.Runs), ("quick", context.Quick));

        var runs = new ResultTable("runs", "every run", Metrics, "target") { TextColumns = { ("error", "error") } };
        for (var run = 1; run <= settings.Runs; run++)
        {
            foreach (var target in settings.Targets)
            {
                var row = new ResultRow(target.Name);
                row.Extra["run"] = run;
                row.Extra["description"] = target.Description;
                runs.Rows.Add(row);
                try
                {
                    await MeasureAsync(context, settings, target, run, row).ConfigureAwait(false);
                }
                catch (BenchException ex)
                {
                    row.Texts["error"] = ex.Message;
                    context.Note($"run {run} {target.Name}: {ex.Message}");
                }
            }
        }

        runs.HiddenInTable = settings.Runs == 1;
        var medians = runs.Medians("medians", settings.Runs > 1 ? $"medians of {settings.Runs} runs" : "results", r => r.Label);
        report.Tables.Add(runs);
        report.Tables.Add(medians);
        report.Tables.Add(medians.Ratios("ratios", "each / Kestrel (messages/s: above 1 is faster; latency: below 1 is faster)", EchoTarget.Kestrel.Name, reversed: true));
        if (settings.LoadGenProcesses > 1)
        {
            context.Note("with several load-generator processes, messages/s is their sum, p50 the message-weighted mean of theirs and p99/p99.9/max the largest of theirs");
        }

        context.Note("latency = round trip per message (send to echo complete), measured after the warm-up; server CPU in % of one core over the measured part; the load generator runs on the same cores");
        return report;
    }

    private static async Task MeasureAsync(BenchContext context, EchoSettings settings, EchoTarget target, int run, ResultRow row)
    {
        var label = $"run{run}-{target.Name}";
        var phase = $"run {run}/{settings.Runs} {target.Name}";
        context.Progress.Phase($"{phase}: starting the server");
        await using var server = await ServerLauncher.StartAsync(context, target.Server, label,
            ["--listen", "127.0.0.1:0", "--listen", "raw@127.0.0.1:0"]).ConfigureAwait(false);
        row.Extra["server_command"] = server.Process.CommandLine;
        await Waits.DelayAsync(context, TimeSpan.FromSeconds(context.Quick ? 0.3 : 1), "letting the server settle", server).ConfigureAwait(false);

        var shares = LoadGenProcess.Split(settings.Connections, settings.LoadGenProcesses);
        var loadGens = new List<LoadGenProcess>();
        try
        {
            context.Progress.Phase($"{phase}: warming up");
            for (var i = 0; i < shares.Length; i++)
            {
                loadGens.Add(await LoadGenProcess.StartAsync(context, $"{label}-echo{i + 1}", "echo", server.Target(target.PortIndex), target.Protocol,
                    LoadGenProcess.SourceAddress(i),
                [
                    "--connections", shares[i].ToString(CultureInfo.InvariantCulture),
                    "--in-flight", settings.InFlight.ToString(CultureInfo.InvariantCulture),
                    "--size", settings.Size.ToString(CultureInfo.InvariantCulture),
                    "--duration", Durations.Format(settings.Duration),
                    "--warmup", Durations.Format(settings.Warmup),
                ]).ConfigureAwait(false));
            }

            // Start-up and connecting take a moment: the CPU window starts half a second into the measured part and
            // ends half a second before it, while every process is surely still running.
            await Waits.DelayAsync(context, settings.Warmup + TimeSpan.FromSeconds(0.5), "warming up", server).ConfigureAwait(false);
            var serverCpu = new CpuMeter(server.Pid);
            var loadGenCpu = loadGens.Select(l => new CpuMeter(l.Process.Pid)).ToList();
            context.Progress.Phase($"{phase}: measuring for {Durations.Format(settings.Duration)}");
            var window = settings.Duration - TimeSpan.FromSeconds(1);
            if (window > TimeSpan.Zero)
            {
                await Waits.DelayAsync(context, window, "measuring", server,
                    () => $"{loadGens[0].Process.LastStderrLine}, server CPU {ReportWriter.Format(serverCpu.PercentOfOneCore(), MetricFormat.Percent)}").ConfigureAwait(false);
            }

            row["server_cpu_percent"] = serverCpu.PercentOfOneCore();
            var each = loadGenCpu.Select(m => m.PercentOfOneCore()).ToList();
            row["loadgen_cpu_percent"] = each.All(p => p is not null) ? each.Sum() : null;
            var results = await Waits.ResultsAsync(context, loadGens, TimeSpan.FromSeconds(60), server, () => "finishing").ConfigureAwait(false);
            Combine(results, row);
            row.Extra["loadgen_results"] = new JsonArray(results.Select(r => (JsonNode?)r.DeepClone()).ToArray());
        }
        finally
        {
            await Waits.DisposeAllAsync(loadGens).ConfigureAwait(false);
        }

        context.Progress.Status("stopping the server");
        await server.StopAsync().ConfigureAwait(false);
        context.Progress.Note($"run {run} {target.Name}: {ReportWriter.Format(row["messages_per_second"], MetricFormat.Rate)}, "
            + $"p50 {ReportWriter.Format(row["p50_ms"], MetricFormat.Milliseconds)}, p99 {ReportWriter.Format(row["p99_ms"], MetricFormat.Milliseconds)}, "
            + $"p99.9 {ReportWriter.Format(row["p999_ms"], MetricFormat.Milliseconds)}");
    }

    /// <summary>Adds up the processes' results: rates summed, p50 weighted by messages, the tail percentiles the worst.</summary>
    internal static void Combine(IReadOnlyList<JsonObject> results, ResultRow row)
    {
        var rates = results.Select(r => Json.Number(r, "messagesPerSecond", "messages_per_second", "rate")).ToList();
        row["messages_per_second"] = rates.All(r => r is null) ? null : rates.Sum(r => r ?? 0);
        var messages = results.Select(r => Json.Number(r, "messages", "measuredMessages") ?? 1).ToList();
        var p50 = results.Select(r => Json.Number(r, "p50Ms")).ToList();
        if (p50.All(p => p is not null) && messages.Sum() > 0)
        {
            row["p50_ms"] = p50.Zip(messages, (p, m) => p!.Value * m).Sum() / messages.Sum();
        }

        row["p99_ms"] = results.Max(r => Json.Number(r, "p99Ms"));
        row["p999_ms"] = results.Max(r => Json.Number(r, "p999Ms"));
        row["max_ms"] = results.Max(r => Json.Number(r, "maxMs"));
        var errors = results.Select(r => Json.Number(r, "errors")).ToList();
        row["errors"] = errors.All(e => e is null) ? null : errors.Sum(e => e ?? 0);
    }
}
