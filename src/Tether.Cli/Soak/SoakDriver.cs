using System.Globalization;
using System.Net;
using Tether.Cli.Output;
using Tether.Cli.Parsing;

namespace Tether.Cli.Soak;

/// <summary>
/// Runs a soak: starts the server (unless there is a target), one proxy and one client per soak client, the traffic
/// in both directions, the fault schedules and the server restarts; after the run, stops the traffic, heals every
/// path, lets the links settle, and tallies every stream. Everything it starts, it stops, whatever happens.
/// A cluster run (--cluster N) starts N echo node processes sharing a Redis instead, and the in-process server joins
/// the cluster as a node no client connects to: the clients (no proxies) have every node in their endpoint list, the
/// round trip is checked on the echo, the pushes reach the clients through Redis, and the faults are node kills.
/// </summary>
internal sealed class SoakDriver(SoakOptions options, TextWriter progress, TimeProvider time)
{
    private const int MaxUnsettledShown = 10;

    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan SettlePoll = TimeSpan.FromMilliseconds(100);

    // Long enough for acks (200 ms) and healed delays to drain, short against the settle timeout.
    private static readonly TimeSpan StallGrace = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Runs for <see cref="SoakOptions.Duration"/> or until <paramref name="stop"/>, then settles (cut short by
    /// <paramref name="abort"/>) and reports.
    /// </summary>
    public async Task<SoakReport> RunAsync(CancellationToken stop, CancellationToken abort)
    {
        var seed = options.Seed ?? Random.Shared.Next();
        var random = new Random(seed);
        // Client ids unique to this run (not drawn from the seed: two runs with the same seed may share a server).
        var streams = new SoakStreams(options.Clients, $"soak-{Random.Shared.Next():x8}-");
        var counters = new SoakCounters();
        var workers = new List<SoakClientWorker>(options.Clients);
        SoakServerHost? host = null;
        SoakCluster? cluster = null;
        PrivateRedis? privateRedis = null;
        var started = time.GetTimestamp();
        try
        {
            EndPoint target;
            if (options.IsCluster)
            {
                // A key prefix of its own: what an earlier run left in a shared Redis cannot be taken for this run's.
                var keyPrefix = $"tether-soak-{Random.Shared.Next():x8}";
                if (options.Redis is null)
                {
                    privateRedis = await PrivateRedis.StartAsync(CancellationToken.None).ConfigureAwait(false);
                    progress.WriteLine($"tether: soak: started a private redis-server on {privateRedis.Configuration}");
                }

                var redis = options.Redis ?? privateRedis!.Configuration;
                // Not cut short by Ctrl-C (each node has a start timeout): a stop meanwhile ends the run before traffic,
                // with its summary, like a stop while the clients connect.
                cluster = await SoakCluster.StartAsync(options.Cluster!.Value, redis, keyPrefix, progress, CancellationToken.None).ConfigureAwait(false);
                var scaleOut = new Tether.Cluster.ScaleOutOptions { Redis = redis, NodeName = "soak-pusher", KeyPrefix = keyPrefix, OperationTimeout = SoakNode.RedisTimeout, RemoteSendTimeout = TimeSpan.FromSeconds(10) };
                host = await SoakServerHost.StartAsync(new SoakServerHandler(streams, counters), time, scaleOut).ConfigureAwait(false);
                target = cluster.EndPoints[0];
            }
            else if (options.InProcessServer)
            {
                host = await SoakServerHost.StartAsync(new SoakServerHandler(streams, counters), time).ConfigureAwait(false);
                target = host.EndPoint;
            }
            else
            {
                target = options.Target!;
            }

            for (var i = 0; i < options.Clients; i++)
            {
                workers.Add(cluster is not null
                    ? SoakClientWorker.CreateForCluster(i, cluster.EndPoints, streams, counters, time)
                    : SoakClientWorker.Create(i, target, streams, counters, echo: host is null, time));
            }

            progress.WriteLine(cluster is not null ? DescribeClusterRun(cluster, options.Redis ?? privateRedis!.Configuration, seed) : string.Create(
                CultureInfo.InvariantCulture,
                $"tether: soak: {options.Clients} clients for {DurationParser.Format(options.Duration)} against {(host is null ? EndPointDisplay.Format(target) : $"an in-process server on {host.EndPoint}")}, "
                + $"a fault every ~{DurationParser.Format(options.FaultEvery)} per client{(options.RestartServer ? $", a server restart every {DurationParser.Format(options.RestartEvery)}" : string.Empty)}, seed {seed}"));

            if (await ConnectAllAsync(workers, target, stop).ConfigureAwait(false))
            {
                started = time.GetTimestamp();
                await RunTrafficAsync(workers, host, cluster, streams, counters, random, stop).ConfigureAwait(false);
            }

            var elapsed = time.GetElapsedTime(started);
            // In a cluster the pushing node holds no client's session: each client alone says whether it is settled.
            var (settled, nudged) = await SettleAsync(workers, cluster is null ? host : null, counters, abort).ConfigureAwait(false);
            return new SoakReport
            {
                Up = StreamCounts.Sum(streams.Up.Select(s => s.Finish())),
                Down = StreamCounts.Sum(streams.Down.Select(s => s.Finish())),
                Faults = counters.Faults,
                FaultsByKind = counters.FaultsByKind,
                Resumes = counters.Resumes,
                SessionResets = counters.ClientResets,
                // In a cluster the sessions live on the nodes, whose handlers are not the soak's.
                ServerSessionResets = host is null || cluster is not null ? null : counters.ServerResets,
                UnreportedByServer = host is null || cluster is not null ? null : counters.LostWithoutServerReport,
                Restarts = counters.Restarts,
                Nodes = cluster?.Count ?? 0,
                NodeKills = counters.NodeKills,
                Corrupt = counters.Corrupt,
                Settled = settled,
                SettleResets = nudged,
                Clients = options.Clients,
                Elapsed = elapsed,
                Seed = seed,
                Echo = host is null,
            };
        }
        finally
        {
            // Clients first, so they close gracefully through healthy proxies, then the proxies, then the server.
            await Task.WhenAll(workers.Select(w => w.DisposeAsync().AsTask())).ConfigureAwait(false);
            if (host is not null)
            {
                await host.DisposeAsync().ConfigureAwait(false);
            }

            if (cluster is not null)
            {
                await cluster.DisposeAsync().ConfigureAwait(false);
            }

            if (privateRedis is not null)
            {
                await privateRedis.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private string DescribeClusterRun(SoakCluster cluster, string redis, int seed) => string.Create(
        CultureInfo.InvariantCulture,
        $"tether: soak: {options.Clients} clients for {DurationParser.Format(options.Duration)} against a cluster of {cluster.Count} nodes ({string.Join(", ", cluster.EndPoints)}) on Redis {RedisConfiguration.DescribeEndPoints(redis)}, "
        + $"{(options.KillNodeEvery is { } every ? $"a node killed with SIGKILL every {DurationParser.Format(every)}" : "no node kills")}, seed {seed}");

    /// <summary>Connects every client; false if the run was stopped meanwhile. A client that cannot connect in time fails the run.</summary>
    private static async Task<bool> ConnectAllAsync(List<SoakClientWorker> workers, EndPoint target, CancellationToken stop)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
        timeout.CancelAfter(ConnectTimeout);
        try
        {
            await Task.WhenAll(workers.Select(w => w.ConnectAsync(timeout.Token))).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return false;
        }
        catch (OperationCanceledException)
        {
            var connected = workers.Count(w => w.Client.State == Tether.Client.ClientState.Connected);
            throw new CliException(
                string.Create(CultureInfo.InvariantCulture, $"soak: only {connected} of {workers.Count} clients could connect to {EndPointDisplay.Format(target)} within {DurationParser.Format(ConnectTimeout)}"),
                ExitCodes.Failure);
        }
    }

    private async Task RunTrafficAsync(List<SoakClientWorker> workers, SoakServerHost? host, SoakCluster? cluster, SoakStreams streams, SoakCounters counters, Random random, CancellationToken stop)
    {
        using var timeUp = new CancellationTokenSource(options.Duration, time);
        using var running = CancellationTokenSource.CreateLinkedTokenSource(stop, timeUp.Token);
        var period = TimeSpan.FromSeconds(1.0 / options.Rate);
        var traffic = new List<Task>();
        var faults = new List<Task>();
        foreach (var worker in workers)
        {
            traffic.Add(worker.SendAsync(period, running.Token));
            if (host is not null)
            {
                traffic.Add(worker.PushAsync(() => host.Current, period, running.Token));
            }

            if (worker.Proxy is not null)
            {
                // Each path its own generator, drawn from the run's seed: the schedule is reproducible.
                var scheduler = new FaultScheduler(new ProxyFaultTarget(worker.Proxy), options.FaultEvery, new Random(random.Next()), time, counters);
                faults.Add(scheduler.RunAsync(running.Token));
            }
        }

        if (cluster is not null && options.KillNodeEvery is { } killEvery)
        {
            faults.Add(cluster.RunKillsAsync(killEvery, new Random(random.Next()), counters, time, running.Token));
        }

        var restarts = options.RestartServer && host is not null ? host.RunRestartsAsync(options.RestartEvery, counters, running.Token) : Task.CompletedTask;
        var reporting = ReportProgressAsync(streams, counters, running.Token);
        // Traffic stops first; the schedulers heal their paths on the way out; a restart under way completes.
        await Task.WhenAll(traffic).ConfigureAwait(false);
        await Task.WhenAll(faults).ConfigureAwait(false);
        await restarts.ConfigureAwait(false);
        await reporting.ConfigureAwait(false);
    }

    /// <summary>
    /// Waits until every client is settled (and, in-process, every session loss was reported on both sides). A black
    /// hole drops bytes from a connection that may survive it; the gap it leaves is noticed only when the next message
    /// arrives, and once traffic has stopped there is none. So a client still connected yet stalled after
    /// <see cref="StallGrace"/> has its path reset once: the resume resends what the hole swallowed. Returns whether
    /// everything settled, and how many paths needed that reset.
    /// </summary>
    private async Task<(bool Settled, int Nudged)> SettleAsync(List<SoakClientWorker> workers, SoakServerHost? host, SoakCounters counters, CancellationToken abort)
    {
        var start = time.GetTimestamp();
        var nudged = new HashSet<SoakClientWorker>();
        while (true)
        {
            var server = host?.Current;
            if (workers.All(w => w.IsSettled(server)) && (host is null || counters.LostWithoutServerReport == 0))
            {
                return (true, nudged.Count);
            }

            var elapsed = time.GetElapsedTime(start);
            if (elapsed >= options.SettleTimeout || abort.IsCancellationRequested)
            {
                foreach (var worker in workers.Where(w => !w.IsSettled(server)).Take(MaxUnsettledShown))
                {
                    progress.WriteLine($"tether: soak: not settled: {worker.DescribeState(server)}");
                }

                return (false, nudged.Count);
            }

            if (elapsed >= StallGrace)
            {
                // Only proxied paths have black holes to recover from (a cluster run has none).
                foreach (var worker in workers.Where(w => w.Proxy is not null && w.IsStalled(server) && nudged.Add(w)))
                {
                    worker.Proxy!.ResetAll();
                }
            }

            try
            {
                await Task.Delay(SettlePoll, time, abort).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The next pass reports what is not settled and returns.
            }
        }
    }

    private async Task ReportProgressAsync(SoakStreams streams, SoakCounters counters, CancellationToken stop)
    {
        var start = time.GetTimestamp();
        using var timer = new PeriodicTimer(options.ProgressEvery, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                var up = StreamCounts.Sum(streams.Up.Select(s => s.Snapshot()));
                var down = StreamCounts.Sum(streams.Down.Select(s => s.Snapshot()));
                progress.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"tether: soak {time.GetElapsedTime(start).TotalSeconds:0}s/{options.Duration.TotalSeconds:0}s: up {up.Delivered}/{up.Sent}, down {down.Delivered}/{down.Sent} delivered/sent, "
                    + $"{counters.Faults} faults, {counters.Resumes} resumes, {counters.ClientResets} session resets, {up.Lost + down.Lost} lost, {up.Duplicated + down.Duplicated} duplicated"));
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }
}
