using System.Diagnostics;
using System.Globalization;
using System.Net;
using Tether.Client;
using Tether.LoadGen;

namespace Tether.ClusterBench;

/// <summary>
/// <c>clients</c>: <c>--count</c> <see cref="TetherClient"/>s with sessions and client ids <c>c{home}-{i}</c>, each
/// with every node's endpoint: its home node first, then the others rotated by <c>i</c>, so that when the home node
/// dies its clients spread evenly over the rest. They record what arrives until SIGTERM, then print the result.
/// </summary>
internal static class ClientsRole
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(60);

    public static async Task<int> RunAsync(BenchArgs args, StopSignal stop)
    {
        var nodes = args.EndPoints("--nodes");
        var home = args.Int("--home", 1, 1, nodes.Count);
        var count = args.Int("--count", 1000, 1, 1_000_000);
        var source = args.Address("--source");
        var concurrency = args.Int("--connect-concurrency", 32, 1, 10_000);
        args.ThrowOnUnknown();

        SessionTracker tracker = new(count);
        var clients = new TetherClient[count];
        long connected = 0;
        long failed = 0;
        long complete = 0;
        ArrivalRecorder recorder = null!;
        recorder = new ArrivalRecorder(count)
        {
            // Every client of this process has the broadcast: one line, so that the script can stop waiting.
            BroadcastReceived = received =>
            {
                if (received == Interlocked.Read(ref connected) && Interlocked.Exchange(ref complete, 1) == 0)
                {
                    Output.Event("broadcast-complete", json => json.WriteNumber("received", received));
                }
            },
        };

        var started = Stopwatch.GetTimestamp();
        try
        {
            await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = stop.Token }, async (index, token) =>
            {
                var client = new TetherClient(Options(nodes, home, index, source), new ClientProbe(index, recorder));
                tracker.Attach(client, index);
                clients[index] = client;
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
                timeout.CancelAfter(ConnectTimeout);
                try
                {
                    await client.ConnectAsync(timeout.Token).ConfigureAwait(false);
                    Interlocked.Increment(ref connected);
                }
                catch (Exception) when (!token.IsCancellationRequested)
                {
                    // Refused, timed out or unreachable within the minute: counted, and the client keeps trying.
                    Interlocked.Increment(ref failed);
                }

                Output.Progress(string.Create(CultureInfo.InvariantCulture, $"clients c{home}: {Interlocked.Read(ref connected)}/{count} connected, {Interlocked.Read(ref failed)} failed"));
            }).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        var connectMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var awayFromHome = AwayFromHome(clients, nodes[home - 1]);
        var managed = GC.GetTotalMemory(forceFullCollection: true);
        var rss = Environment.WorkingSet;
        tracker.Arm();
        Output.Event("ready", json =>
        {
            json.WriteNumber("connected", connected);
            json.WriteNumber("failed", failed);
            json.WriteNumber("connectMs", Math.Round(connectMs));
            json.WriteNumber("awayFromHome", awayFromHome);
            json.WriteNumber("rssBytes", rss);
            json.WriteNumber("managedBytes", managed);
        });
        Output.Status(string.Create(CultureInfo.InvariantCulture,
            $"clients c{home}: {connected} connected, {failed} failed in {connectMs:0} ms; RSS {rss / 1048576.0:0} MiB, managed {managed / 1048576.0:0} MiB"));

        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        var connectedAtEnd = clients.Count(c => c?.State == ClientState.Connected);
        Output.Event("result", json =>
        {
            json.WriteNumber("home", home);
            json.WriteNumber("connections", count);
            json.WriteNumber("connected", connected);
            json.WriteNumber("failed", failed);
            json.WriteNumber("connectedAtEnd", connectedAtEnd);
            json.WriteNumber("awayFromHome", awayFromHome);
            json.WriteNumber("awayFromHomeAtEnd", AwayFromHome(clients, nodes[home - 1]));
            json.WriteNumber("rssBytes", rss);
            json.WriteNumber("managedBytes", managed);
            recorder.Write(json);
            tracker.Write(json, i => ClientIds.Of(home, i));
            json.WriteStartArray("notConnectedAtEndIds");
            for (var i = 0; i < clients.Length; i++)
            {
                if (clients[i]?.State != ClientState.Connected)
                {
                    json.WriteStringValue(ClientIds.Of(home, i));
                }
            }

            json.WriteEndArray();
        });

        // The nodes are killed by the script right after; closing 19,000 sessions one by one would only add load.
        return connected > 0 ? 0 : 1;
    }

    /// <summary>Connected clients whose connection is not to their home node (the first endpoint of their list).</summary>
    private static int AwayFromHome(TetherClient[] clients, IPEndPoint home) =>
        clients.Count(c => c?.State == ClientState.Connected && !home.Equals(c.ConnectedEndPoint));

    private static TetherClientOptions Options(IReadOnlyList<IPEndPoint> nodes, int home, int index, IPAddress? source)
    {
        var options = new TetherClientOptions { ClientId = ClientIds.Of(home, index), LocalAddress = source };
        options.EndPoints.Add(nodes[home - 1]);
        var others = nodes.Where((_, i) => i != home - 1).ToArray();
        for (var i = 0; i < others.Length; i++)
        {
            options.EndPoints.Add(others[(index + i) % others.Length]);
        }

        return options;
    }
}
