using System.CommandLine;
using Tether.Bench.Infra;
using Tether.Bench.Scenarios;

namespace Tether.Bench.Cli;

/// <summary>The command tree: one subcommand per scenario, each with --json, --quick and --keep-work.</summary>
internal static class Commands
{
    private static readonly Option<bool> Json = Options.Flag("--json", "Print one JSON object (every row, medians, ratios, machine, commit, command lines) as the last line of stdout; the tables go to stderr.");
    private static readonly Option<bool> Quick = Options.Flag("--quick", "A smoke run: small N and short durations, under a minute. Figures are not meaningful.");
    private static readonly Option<bool> KeepWork = Options.Flag("--keep-work", "Keep the work folder (port files, configurations, every process's log) and print where it is; it is always kept when a run fails.");

    public static RootCommand Create()
    {
        var root = new RootCommand(
            "Tether benchmark suite: drives Release builds of 'tether serve' and of peer servers from separate load-generator "
            + "processes on loopback, and prints a table (or JSON). Build first: dotnet build -c Release src/Tether.Cli/Tether.Cli.csproj "
            + "(and bench/Tether.LoadGen, bench/Peers/*; the orchestrator says which builds are missing). See bench/Tether.Bench/README.md.")
        {
            Connections(),
            Echo(),
            Fanout(),
            Storm(),
            Churn(),
        };
        return root;
    }

    private static void AddCommon(Command command)
    {
        command.Options.Add(Json);
        command.Options.Add(Quick);
        command.Options.Add(KeepWork);
    }

    private static Task<int> Run(ParseResult result, string scenario, IEnumerable<Binary> needed, Func<BenchContext, Task<Reporting.Report>> run) =>
        Runner.RunAsync(scenario, result.GetValue(Json), result.GetValue(Quick), result.GetValue(KeepWork), needed, run);

    private static Command Connections()
    {
        var all = ServerKind.All.Select(k => k.Name).ToList();
        var connections = Options.Int("--connections", "Idle connections held per server, spread over the load-generator processes (at most 19,000 each).", 19_000, 200, 1);
        var servers = Options.List("--servers", "Servers to measure, in this order in every run.", all, all);
        var processes = Options.Int("--processes", "Load-generator processes (sources 127.0.0.2, .3, ...).", 4, 2, 1, 64);
        var heartbeat = Options.Duration("--heartbeat", "Heartbeat interval, the same for every server (tether PING, raw 'hb' line, MQTT keepalive).", TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(2));
        var settle = Options.Duration("--settle", "Wait after all connections are up, before the 'after' samples.", TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1));
        var measure = Options.Duration("--measure", "Time over which server CPU is measured.", TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(3));
        var runs = Options.Int("--runs", "Runs; every run restarts every server, and the tables show medians.", 1, 1, 1, 100);
        var concurrency = Options.Int("--connect-concurrency", "Connects in flight per load-generator process.", 256, 256, 1, 100_000);
        var noHeap = Options.Flag("--no-heap", "Do not measure the managed heap of .NET servers (it induces one full GC before each sample).");
        var command = new Command("connections", "Hold N idle connections with heartbeats per server; report RSS before/after, bytes and managed heap per connection, and server CPU while heartbeating.")
        {
            connections, servers, processes, heartbeat, settle, measure, runs, concurrency, noHeap,
        };
        AddCommon(command);
        command.SetAction((result, _) =>
        {
            var quick = result.GetValue(Quick);
            var settings = new ConnectionsSettings(
                Options.Pick(result.GetValue(connections), quick, 19_000, 200),
                (result.GetValue(servers) ?? all).Select(ServerKind.Parse).ToList(),
                Options.Pick(result.GetValue(processes), quick, 4, 2),
                Options.Pick(result.GetValue(heartbeat), quick, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(2)),
                Options.Pick(result.GetValue(settle), quick, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1)),
                Options.Pick(result.GetValue(measure), quick, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(3)),
                Options.Pick(result.GetValue(runs), quick, 1, 1),
                Options.Pick(result.GetValue(concurrency), quick, 256, 256),
                !result.GetValue(noHeap));
            CheckPerProcess(settings.Connections, settings.Processes, "--processes");
            return Run(result, "connections", ConnectionsScenario.Needed(settings), context => ConnectionsScenario.RunAsync(context, settings));
        });
        return command;
    }

    private static Command Echo()
    {
        var all = EchoTarget.All.Select(t => t.Name).ToList();
        var connections = Options.Int("--connections", "Connections (C).", 100, 20, 1);
        var inFlight = Options.Int("--in-flight", "Messages in flight per connection (W).", 16, 4, 1);
        var size = Options.Int("--size", "Message size in bytes (S).", 64, 64, 1, 16 * 1024 * 1024);
        var duration = Options.Duration("--duration", "Measured time per target (D), after the warm-up.", TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(3));
        var warmup = Options.Duration("--warmup", "Warm-up before measuring.", TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1));
        var processes = Options.Int("--loadgen-processes", "Load-generator processes sharing the connections.", 1, 1, 1, 64);
        var targets = Options.List("--targets", "Rows: tether-raw (tether serve's raw framing listener), tether (protocol, sessions on), tether-nosession, kestrel, dotnetty.", all, all);
        var runs = Options.Int("--runs", "Runs; every run restarts every server, and the tables show medians.", 1, 1, 1, 100);
        var command = new Command("echo", "C connections x W messages in flight x S bytes for D: messages/s and round-trip p50/p99/p99.9, Tether (raw framing, sessions on and off) beside Kestrel and DotNetty; ratios to Kestrel.")
        {
            connections, inFlight, size, duration, warmup, processes, targets, runs,
        };
        AddCommon(command);
        command.SetAction((result, _) =>
        {
            var quick = result.GetValue(Quick);
            var settings = new EchoSettings(
                Options.Pick(result.GetValue(connections), quick, 100, 20),
                Options.Pick(result.GetValue(inFlight), quick, 16, 4),
                Options.Pick(result.GetValue(size), quick, 64, 64),
                Options.Pick(result.GetValue(duration), quick, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(3)),
                Options.Pick(result.GetValue(warmup), quick, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1)),
                Options.Pick(result.GetValue(processes), quick, 1, 1),
                (result.GetValue(targets) ?? all).Select(EchoTarget.Parse).ToList(),
                Options.Pick(result.GetValue(runs), quick, 1, 1));
            CheckPerProcess(settings.Connections, settings.LoadGenProcesses, "--loadgen-processes");
            return Run(result, "echo", EchoScenario.Needed(settings), context => EchoScenario.RunAsync(context, settings));
        });
        return command;
    }

    private static Command Fanout()
    {
        var connections = Options.Int("--connections", "Receiving connections, spread over the processes (at most 19,000 each).", 19_000, 200, 1);
        var processes = Options.Int("--processes", "Receiving load-generator processes (sources 127.0.0.2, .3, ...); the sender is one more.", 4, 2, 1, 64);
        var messages = Options.Int("--messages", "Broadcasts sent (K).", 20, 10, 1, 65_536);
        var interval = Options.Duration("--interval", "Time between broadcasts: long enough for one broadcast (and the acknowledgements it causes) to be over before the next, so that 'all have it' is one broadcast's latency, not queueing behind the previous ones.", TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(100));
        var size = Options.Int("--size", "Message size in bytes (at least 16: id and timestamp).", 64, 64, 16, 1024 * 1024);
        var runs = Options.Int("--runs", "Runs; every run restarts the server.", 1, 1, 1, 100);
        var concurrency = Options.Int("--connect-concurrency", "Connects in flight per load-generator process.", 256, 256, 1, 100_000);
        var drain = Options.Duration("--drain-timeout", "Longest wait, after the last broadcast, for every receiver to have every message.", TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(15));
        var noSessions = Options.Flag("--no-sessions", "Receivers without sessions (tether-nosession): one encoding shared by every receiver and no acknowledgements, as in a plain broadcast.");
        var command = new Command("fanout", "tether serve --app broadcast: one sender, N receivers; per broadcast the time until every receiver has it (p50/p99), delivery latency and messages delivered per second.")
        {
            connections, processes, messages, interval, size, runs, concurrency, drain, noSessions,
        };
        AddCommon(command);
        command.SetAction((result, _) =>
        {
            var quick = result.GetValue(Quick);
            var settings = new FanoutSettings(
                Options.Pick(result.GetValue(connections), quick, 19_000, 200),
                Options.Pick(result.GetValue(processes), quick, 4, 2),
                Options.Pick(result.GetValue(messages), quick, 20, 10),
                Options.Pick(result.GetValue(interval), quick, TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(100)),
                Options.Pick(result.GetValue(size), quick, 64, 64),
                Options.Pick(result.GetValue(runs), quick, 1, 1),
                Options.Pick(result.GetValue(concurrency), quick, 256, 256),
                Options.Pick(result.GetValue(drain), quick, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(15)),
                !result.GetValue(noSessions));
            CheckPerProcess(settings.Connections, settings.Processes, "--processes");
            return Run(result, "fanout", FanoutScenario.Needed, context => FanoutScenario.RunAsync(context, settings));
        });
        return command;
    }

    private static Command Storm()
    {
        var connections = Options.Int("--connections", "TetherClients, spread over the processes (at most 19,000 each).", 19_000, 200, 1);
        var processes = Options.Int("--processes", "Load-generator processes.", 4, 2, 1, 64);
        var down = Options.Duration("--down", "How long the server stays down before it is restarted on the same port.", TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2));
        var recover = Options.Duration("--recover-timeout", "Longest wait for the clients to come back after the restart.", TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(25));
        var graceful = Options.Flag("--graceful", "SIGTERM instead of kill -9: the server sends GOAWAY with a retry-after and drains; counts the clients that tried again before it.");
        var runs = Options.Int("--runs", "Runs; every run starts a fresh server.", 1, 1, 1, 100);
        var concurrency = Options.Int("--connect-concurrency", "Connects in flight per load-generator process (first connection only).", 256, 256, 1, 100_000);
        var command = new Command("storm", "N connected clients; kill -9 the server (or SIGTERM with --graceful), restart it after 2 s: time until 50/99/100 % are back, peak handshakes/s, handshake p99, clients never back.")
        {
            connections, processes, down, recover, graceful, runs, concurrency,
        };
        AddCommon(command);
        command.SetAction((result, _) =>
        {
            var quick = result.GetValue(Quick);
            var settings = new StormSettings(
                Options.Pick(result.GetValue(connections), quick, 19_000, 200),
                Options.Pick(result.GetValue(processes), quick, 4, 2),
                Options.Pick(result.GetValue(down), quick, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2)),
                Options.Pick(result.GetValue(recover), quick, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(25)),
                result.GetValue(graceful),
                Options.Pick(result.GetValue(runs), quick, 1, 1),
                Options.Pick(result.GetValue(concurrency), quick, 256, 256));
            CheckPerProcess(settings.Connections, settings.Processes, "--processes");
            return Run(result, "storm", StormScenario.Needed, context => StormScenario.RunAsync(context, settings));
        });
        return command;
    }

    private static Command Churn()
    {
        var connections = Options.Int("--connections", "Concurrent loops (C) of connect, HELLO, one echoed DATA, CLOSE, disconnect.", 50, 10, 1, 19_000);
        var duration = Options.Duration("--duration", "Measured churn (D).", TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(10));
        var warmup = Options.Duration("--warmup", "Churn before the baseline, so that one-time and bounded growth (JIT, pools, GC budgets, the server's memory of lost sessions) is not counted; 0s takes the baseline cold.", TimeSpan.FromMinutes(4), TimeSpan.FromSeconds(3), "4m with sessions, 30s without");
        var settle = Options.Duration("--settle", "Rest before the baseline and before the final sample.", TimeSpan.FromSeconds(150), TimeSpan.FromSeconds(3), "150s with sessions (longer than the 2 min a detached session is kept), 30s without");
        var sample = Options.Duration("--sample", "RSS sampling interval.", TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1));
        var tolerance = Options.Int("--tolerance", "Pass when the final RSS is at most this many percent above the baseline.", 5, 5, 0, 1000);
        var noSessions = Options.Flag("--no-sessions", "Churn without sessions (tether-nosession): nothing outlives a connection, so shorter warm-up and rest suffice.");
        var command = new Command("churn", "Connect, exchange, disconnect in C loops for D while sampling server RSS: baseline, peak, final after a rest; passes if final is within 5 % of the baseline (exit code 3 if not).")
        {
            connections, duration, warmup, settle, sample, tolerance, noSessions,
        };
        AddCommon(command);
        command.SetAction((result, _) =>
        {
            var quick = result.GetValue(Quick);
            var sessions = !result.GetValue(noSessions);
            var settings = new ChurnSettings(
                Options.Pick(result.GetValue(connections), quick, 50, 10),
                Options.Pick(result.GetValue(duration), quick, TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(10)),
                Options.Pick(result.GetValue(warmup), quick, sessions ? TimeSpan.FromMinutes(4) : TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(3)),
                Options.Pick(result.GetValue(settle), quick, sessions ? ChurnScenario.SessionTimeToLive + TimeSpan.FromSeconds(30) : TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(3)),
                Options.Pick(result.GetValue(sample), quick, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1)),
                Options.Pick(result.GetValue(tolerance), quick, 5, 5),
                sessions);
            return Run(result, "churn", ChurnScenario.Needed, context => ChurnScenario.RunAsync(context, settings));
        });
        return command;
    }

    internal static void CheckPerProcess(int connections, int processes, string option)
    {
        // Every process started here inherits this process's open-file limit, the server too: one file per connection.
        if (OpenFileLimit() is { } limit && connections > limit - 100)
        {
            throw new UsageException($"{connections:N0} connections do not fit in one server process, which may open {limit:N0} files (ulimit -n): use at most {limit - 100:N0}");
        }

        if ((connections + processes - 1) / processes > ConnectionsScenario.MaxPerProcess)
        {
            throw new UsageException($"{connections:N0} connections over {processes} processes is more than {ConnectionsScenario.MaxPerProcess:N0} per process (the open-file limit is 20,000): raise {option}");
        }
    }

    private static long? OpenFileLimit()
    {
        try
        {
            var line = File.ReadLines("/proc/self/limits").FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal));
            var soft = line?["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
            return long.TryParse(soft, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) ? value : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
