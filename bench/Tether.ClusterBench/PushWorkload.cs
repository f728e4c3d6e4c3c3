using System.Diagnostics;
using System.Globalization;
using Tether.LoadGen;
using Tether.Server;

namespace Tether.ClusterBench;

/// <summary>
/// <c>push</c>: <c>--rate</c> pushes a second for <c>--seconds</c>, each to a random client id of the cluster (so on
/// another node: the pusher has no clients), paced on a 1 ms tick and never waiting for one push before the next
/// (at most <c>--max-in-flight</c> outstanding; a tick that finds more counts as behind).
/// </summary>
internal static class PushWorkload
{
    public static Func<TetherServer, PusherSettings, Task> Prepare(BenchArgs args)
    {
        var rate = args.Int("--rate", 2000, 1, 10_000_000);
        var duration = args.Seconds("--seconds", 60);
        var maxInFlight = args.Int("--max-in-flight", 4096, 1, 1_000_000);
        return (server, settings) => RunAsync(server, settings, rate, duration, maxInFlight);
    }

    private static async Task RunAsync(TetherServer server, PusherSettings settings, int rate, TimeSpan duration, int maxInFlight)
    {
        var ids = settings.AllClientIds();
        var outcomes = new SendOutcomes();
        var random = new Random(17);
        long inFlight = 0;
        long behind = 0;
        long id = 0;
        var pending = new List<Task>();
        var started = Stopwatch.GetTimestamp();
        var end = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        Output.Status(string.Create(CultureInfo.InvariantCulture, $"pusher: {rate}/s to {ids.Length} client ids for {duration.TotalSeconds:0} s"));
        while (Stopwatch.GetTimestamp() is var now && now < end && !settings.Stop.IsCancellationRequested)
        {
            var due = (long)((double)(now - started) / Stopwatch.Frequency * rate);
            for (; id < due; id++)
            {
                if (Interlocked.Read(ref inFlight) >= maxInFlight)
                {
                    behind++;
                    continue;
                }

                Interlocked.Increment(ref inFlight);
                pending.Add(SendAsync(id, ids[random.Next(ids.Length)]));
            }

            pending.RemoveAll(t => t.IsCompleted);
            Output.Progress(string.Create(CultureInfo.InvariantCulture, $"pusher: {outcomes.Sent} sent, {outcomes.Accepted} accepted, {Interlocked.Read(ref inFlight)} in flight"));
            await Task.Delay(1, CancellationToken.None).ConfigureAwait(false);
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        await Task.WhenAll(pending).ConfigureAwait(false);
        Output.Event("result", json =>
        {
            json.WriteString("workload", "push");
            json.WriteNumber("rate", rate);
            json.WriteNumber("seconds", Math.Round(elapsed.TotalSeconds, 3));
            json.WriteNumber("behind", behind);
            outcomes.Write(json);
        });

        async Task SendAsync(long messageId, string clientId)
        {
            try
            {
                var payload = new Probe(ProbeKind.Push, messageId, Stopwatch.GetTimestamp(), 0).ToArray();
                await outcomes.SendAsync(server, clientId, messageId, payload, CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref inFlight);
            }
        }
    }
}
