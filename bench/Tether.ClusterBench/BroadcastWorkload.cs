using System.Diagnostics;
using Tether.LoadGen;
using Tether.Server;

namespace Tether.ClusterBench;

/// <summary>
/// <c>broadcast</c>: one <see cref="TetherServer.BroadcastAsync"/> from the pusher (which has no clients: every copy
/// crosses Redis to a node). The clients time their copy against the stamp in it; the result here is the call.
/// </summary>
internal static class BroadcastWorkload
{
    public static Func<TetherServer, PusherSettings, Task> Prepare(BenchArgs args) => RunAsync;

    private static async Task RunAsync(TetherServer server, PusherSettings settings)
    {
        var stamp = Stopwatch.GetTimestamp();
        var local = await server.BroadcastAsync(new Probe(ProbeKind.Broadcast, 0, stamp, 0).ToArray(), settings.Stop).ConfigureAwait(false);
        var callMs = Stopwatch.GetElapsedTime(stamp).TotalMilliseconds;
        Output.Event("result", json =>
        {
            json.WriteString("workload", "broadcast");
            json.WriteNumber("frequency", Stopwatch.Frequency);
            json.WriteNumber("stamp", stamp);
            json.WriteNumber("callMs", Math.Round(callMs, 3));
            json.WriteNumber("localConnections", local);
        });
    }
}
