using System.Diagnostics;
using System.Globalization;
using Tether.LoadGen;
using Tether.Server;

namespace Tether.ClusterBench;

/// <summary>
/// <c>stream</c>: numbered messages to the first <c>--clients</c> clients of node <c>--home</c>, <c>--rate</c> a
/// second in all, for <c>--seconds</c>. Each client's stream is sequential: number n+1 is sent only after n was
/// accepted; a send that is refused (the client id is between nodes) or fails is tried again after 20 ms with the same
/// number, so that the clients can tell a lost number (a gap) from a repeated one.
/// </summary>
internal static class StreamWorkload
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(20);

    public static Func<TetherServer, PusherSettings, Task> Prepare(BenchArgs args)
    {
        var home = args.Int("--home", 1, 1, 100);
        var clients = args.Int("--clients", 1000, 1, 1_000_000);
        var rate = args.Int("--rate", 2000, 1, 10_000_000);
        var duration = args.Seconds("--seconds", 40);
        return (server, settings) => RunAsync(server, settings, home, Math.Min(clients, settings.PerNode), rate, duration);
    }

    private static async Task RunAsync(TetherServer server, PusherSettings settings, int home, int clients, int rate, TimeSpan duration)
    {
        var outcomes = new SendOutcomes();
        long nextId = 0;
        long retries = 0;
        var period = TimeSpan.FromSeconds((double)clients / rate);
        var started = Stopwatch.GetTimestamp();
        var end = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        Output.Status(string.Create(CultureInfo.InvariantCulture, $"pusher: numbered streams to {clients} clients of node {home}, one every {period.TotalMilliseconds:0} ms each"));
        Output.Event("stream-started", json => json.WriteNumber("stamp", started));
        var streams = Enumerable.Range(0, clients).Select(async index =>
        {
            var clientId = ClientIds.Of(home, index);
            // Spread the streams' phases over one period.
            await Task.Delay(period * index / clients, CancellationToken.None).ConfigureAwait(false);
            using var timer = new PeriodicTimer(period);
            for (long sequence = 1; Stopwatch.GetTimestamp() < end && !settings.Stop.IsCancellationRequested; sequence++)
            {
                while (true)
                {
                    var id = Interlocked.Increment(ref nextId) - 1;
                    var payload = new Probe(ProbeKind.Push, id, Stopwatch.GetTimestamp(), sequence).ToArray();
                    if (await outcomes.SendAsync(server, clientId, id, payload, CancellationToken.None).ConfigureAwait(false))
                    {
                        break;
                    }

                    Interlocked.Increment(ref retries);
                    await Task.Delay(RetryDelay, CancellationToken.None).ConfigureAwait(false);
                }

                Output.Progress(string.Create(CultureInfo.InvariantCulture, $"pusher: {outcomes.Accepted} accepted, {Interlocked.Read(ref retries)} retries"));
                await timer.WaitForNextTickAsync(CancellationToken.None).ConfigureAwait(false);
            }
        });
        await Task.WhenAll(streams).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started);
        Output.Event("result", json =>
        {
            json.WriteString("workload", "stream");
            json.WriteNumber("home", home);
            json.WriteNumber("clients", clients);
            json.WriteNumber("seconds", Math.Round(elapsed.TotalSeconds, 3));
            json.WriteNumber("retries", Interlocked.Read(ref retries));
            outcomes.Write(json);
        });
    }
}
