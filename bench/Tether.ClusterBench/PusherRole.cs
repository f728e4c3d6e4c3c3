using System.Diagnostics;
using System.Globalization;
using System.Net;
using Tether.Cluster;
using Tether.LoadGen;
using Tether.Server;

namespace Tether.ClusterBench;

/// <summary>
/// <c>pusher</c>: an in-process <see cref="TetherServer"/> that joins the cluster with no clients of its own, so that
/// everything it sends crosses Redis to another node. It waits until the last client of every node is in the
/// directory, then runs one workload (push, reliable, broadcast or stream) and prints its result.
/// </summary>
internal static class PusherRole
{
    private static readonly TimeSpan DirectoryWait = TimeSpan.FromSeconds(120);

    public static async Task<int> RunAsync(string workload, BenchArgs args, StopSignal stop)
    {
        var redis = args.Required("--redis");
        var nodes = args.Int("--nodes", 5, 1, 100);
        var perNode = args.Int("--per-node", 19_000, 1, 1_000_000);
        var settings = new PusherSettings(redis, nodes, perNode, stop.Token);
        Func<TetherServer, PusherSettings, Task> run = workload switch
        {
            "push" => PushWorkload.Prepare(args),
            "reliable" => ReliableWorkload.Prepare(args),
            "broadcast" => BroadcastWorkload.Prepare(args),
            "stream" => StreamWorkload.Prepare(args),
            _ => throw new UsageException($"unknown workload '{workload}'; expected push, reliable, broadcast or stream"),
        };
        args.ThrowOnUnknown();

        var options = new TetherServerOptions { ScaleOut = new ScaleOutOptions { Redis = redis, NodeName = "pusher" } };
        options.EndPoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        await using var server = new TetherServer(options, new QuietHandler());
        await server.StartAsync(stop.Token).ConfigureAwait(false);
        await WaitForDirectoryAsync(server, settings).ConfigureAwait(false);
        await run(server, settings).ConfigureAwait(false);
        return 0;
    }

    /// <summary>
    /// Registration in the directory is written behind each handshake: wait until the last client of each node is
    /// there, so that the workload does not measure the clients' arrival.
    /// </summary>
    private static async Task WaitForDirectoryAsync(TetherServer server, PusherSettings settings)
    {
        var started = Stopwatch.GetTimestamp();
        for (var node = 1; node <= settings.Nodes; node++)
        {
            var clientId = ClientIds.Of(node, settings.PerNode - 1);
            while (await server.LocateClientAsync(clientId, settings.Stop).ConfigureAwait(false) is null)
            {
                if (Stopwatch.GetElapsedTime(started) > DirectoryWait)
                {
                    throw new TimeoutException($"{clientId} is not in the cluster's directory after {DirectoryWait.TotalSeconds:0} s");
                }

                await Task.Delay(TimeSpan.FromMilliseconds(200), settings.Stop).ConfigureAwait(false);
            }
        }

        Output.Status(string.Create(CultureInfo.InvariantCulture, $"pusher: every node's clients are in the directory ({Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms)"));
    }

    private sealed class QuietHandler : TetherServerHandler;
}

/// <summary>What every workload gets: the cluster's shape and the run's stop token.</summary>
internal sealed record PusherSettings(string Redis, int Nodes, int PerNode, CancellationToken Stop)
{
    /// <summary>Every client id of the cluster, computed once so that a send allocates no string.</summary>
    public string[] AllClientIds() =>
        [.. Enumerable.Range(1, Nodes).SelectMany(node => Enumerable.Range(0, PerNode).Select(i => ClientIds.Of(node, i)))];
}
