using System.CommandLine;
using System.Net;
using Tether.Cli.Connecting;
using Tether.Cli.Hosting;
using Tether.Cli.Parsing;
using Tether.Cli.Soak;

namespace Tether.Cli.Commands;

/// <summary>
/// <c>tether soak</c>: many clients exchanging numbered messages with a server through fault-injecting proxies, with a
/// tally of what was lost, duplicated or reordered. Exit code 2 when anything was that no session reset accounts for.
/// </summary>
internal sealed class SoakCommand : Command
{
    private static readonly SoakOptions Defaults = new();

    private readonly Option<int> _clients = CliOptions.Int(
        "--clients", $"How many clients, each with its own fault proxy (about 5 sockets per client).", Defaults.Clients, min: 1);

    private readonly Option<TimeSpan?> _duration = CliOptions.Duration(
        "--duration", "How long the traffic and the faults run; then the links settle and the streams are tallied.", Defaults.Duration);

    private readonly Option<TimeSpan?> _faultEvery = CliOptions.Duration(
        "--fault-every",
        "Mean time between faults on one client's path (each wait is random, 0.5 to 1.5 times this): a reset, a black "
        + "hole of 1-4 s, 50-300 ms of delay, 1-byte slices, or refused reconnects.",
        Defaults.FaultEvery);

    private readonly Option<bool> _restartServer = new("--restart-server")
    {
        Description = "Also restart the in-process server every 3 x --fault-every (halfway through a shorter --duration): every session is lost then, which "
            + "clients and server must report; losses in a reported session reset are not failures. Not with --target.",
    };

    private readonly Option<EndPoint?> _target = new("--target", "-t")
    {
        Description = "Soak an external echo server (e.g. a tether serve), HOST:PORT, instead of an in-process one. Only "
            + "the round trip can be checked then, on the echoes. [default: an in-process server on 127.0.0.1]",
        HelpName = "host:port",
        CustomParser = result =>
        {
            if (EndPointParser.TryParseConnect(result.Tokens.Count > 0 ? result.Tokens[^1].Value : null, out var endPoint, out var error))
            {
                return endPoint;
            }

            result.AddError($"--target: {error}");
            return null;
        },
    };

    private readonly Option<int> _dnsAttempts = CliOptions.DnsAttempts();

    private readonly Option<int> _rate = CliOptions.Int(
        "--rate", $"Messages per second each client sends, and the server pushes to each client.", Defaults.Rate, min: 1);

    private readonly Option<int?> _seed = CliOptions.OptionalInt(
        "--seed", "Seed of the fault schedule, to repeat a run's faults (timing still varies). [default: random, printed]", min: 0);

    private readonly Option<bool> _json = new("--json")
    {
        Description = "End with the summary as one JSON object on the last stdout line: up and down (sent, delivered, "
            + "lost, duplicated, reordered, reportedLost), faults, resumes, sessionResets and more.",
    };

    private readonly Option<int?> _cluster = CliOptions.OptionalInt(
        "--cluster",
        "Soak a cluster instead: start this many tether serve --redis node processes on 127.0.0.1 (killed at the end, "
        + "whatever happens). The clients have every node in their endpoint list and fail over between them; the nodes "
        + "echo (the round trip is checked), and the soak's own node pushes to each client by id through Redis. No "
        + "fault proxies: the faults are node kills (--kill-node-every). Any session reset fails the run: sessions must "
        + "resume on another node (Redis is assumed up throughout). Without --redis, a private redis-server (from the PATH) is started for the run.",
        min: 1);

    private readonly Option<string?> _redis = CliOptions.Redis("The Redis of --cluster's nodes, HOST:PORT.");

    private readonly Option<TimeSpan?> _killNodeEvery = CliOptions.Duration(
        "--kill-node-every",
        "With --cluster: every this long a random node is killed with SIGKILL (kill -9) and started again on the same "
        + "port. [default: no kills]");

    public SoakCommand()
        : base("soak", "Soak test: clients exchange numbered messages with a server in both directions through fault-injecting "
            + "proxies (resets, black holes, delays, split writes), resuming their sessions across every fault; then every "
            + "stream is checked for lost, duplicated and reordered messages. Progress goes to stderr, the summary to stdout. "
            + "Exit code 0 when nothing went wrong that a reported session reset does not account for, 2 otherwise. "
            + "Ctrl-C ends the run early and still prints the summary.")
    {
        Options.Add(_clients);
        Options.Add(_duration);
        Options.Add(_faultEvery);
        Options.Add(_restartServer);
        Options.Add(_target);
        Options.Add(_dnsAttempts);
        Options.Add(_rate);
        Options.Add(_seed);
        Options.Add(_json);
        Options.Add(_cluster);
        Options.Add(_redis);
        Options.Add(_killNodeEvery);
        SetAction((result, _) => RunAsync(result));
    }

    internal SoakOptions BuildOptions(ParseResult result)
    {
        var options = new SoakOptions
        {
            Clients = result.GetValue(_clients),
            Duration = result.GetValue(_duration) ?? Defaults.Duration,
            FaultEvery = result.GetValue(_faultEvery) ?? Defaults.FaultEvery,
            RestartServer = result.GetValue(_restartServer),
            Target = result.GetValue(_target),
            Rate = result.GetValue(_rate),
            Seed = result.GetValue(_seed),
            Json = result.GetValue(_json),
            Cluster = result.GetValue(_cluster),
            Redis = result.GetValue(_redis),
            KillNodeEvery = result.GetValue(_killNodeEvery),
        };
        if (options.RestartServer && !options.InProcessServer)
        {
            throw new CliException("--restart-server restarts the in-process server, so it cannot be used with --target");
        }

        CheckCluster(result, options);
        return options;
    }

    /// <summary>--cluster, --redis and --kill-node-every go together, and not with the options of the other modes.</summary>
    private void CheckCluster(ParseResult result, SoakOptions options)
    {
        if (!options.IsCluster)
        {
            if (options.Redis is not null || options.KillNodeEvery is not null)
            {
                throw new CliException($"{(options.Redis is not null ? "--redis" : "--kill-node-every")} needs --cluster N (the number of node processes to start)");
            }

            return;
        }

        var conflicting = options.Target is not null ? "--target"
            : options.RestartServer ? "--restart-server"
            : result.GetResult(_faultEvery) is { Implicit: false } ? "--fault-every"
            : null;
        if (conflicting is not null)
        {
            throw new CliException($"--cluster cannot be used with {conflicting} (a cluster run has no fault proxies and no in-process server to restart: its faults are node kills, --kill-node-every)");
        }
    }

    /// <summary>Runs a soak and writes its summary; returns the exit code. The command's entry point, also for tests.</summary>
    internal static async Task<int> RunAsync(SoakOptions options, TextWriter output, TextWriter errors, TimeProvider time, CancellationToken stop, CancellationToken abort)
    {
        var report = await new SoakDriver(options, errors, time).RunAsync(stop, abort).ConfigureAwait(false);
        if (options.Json)
        {
            SoakReportWriter.WriteJson(output, report);
        }
        else
        {
            SoakReportWriter.WriteHuman(output, report);
        }

        return report.Passed ? ExitCodes.Success : ExitCodes.Failure;
    }

    private async Task<int> RunAsync(ParseResult result)
    {
        var options = BuildOptions(result);
        using var signal = new ShutdownSignal();
        if (options.Target is { } target)
        {
            await HostResolver.ResolveAllAsync([target], result.GetValue(_dnsAttempts), message => Console.Error.WriteLine($"tether: {message}"), signal.Stopping).ConfigureAwait(false);
        }

        return await RunAsync(options, Console.Out, Console.Error, TimeProvider.System, signal.Stopping, signal.Aborting).ConfigureAwait(false);
    }
}
