using System.Diagnostics;
using System.Globalization;
using Tether.LoadGen;
using Tether.Server;

namespace Tether.ClusterBench;

/// <summary>
/// <c>reliable</c>: <c>--concurrency</c> loops, each sending to a random client id (of the first <c>--targets</c>
/// clients of each node; all by default) and awaiting the send before the next, for <c>--seconds</c>. Redis's command
/// counter is read around the run: first over <c>--idle-seconds</c> with nothing sent (the background rate:
/// announcements, probes), then before and <c>--drain-seconds</c> after the sends, so that the receiving nodes' writes
/// into the sessions and the clients' acks are counted too.
/// </summary>
internal static class ReliableWorkload
{
    public static Func<TetherServer, PusherSettings, Task> Prepare(BenchArgs args)
    {
        var concurrency = args.Int("--concurrency", 128, 1, 100_000);
        var duration = args.Seconds("--seconds", 20);
        var idle = args.Seconds("--idle-seconds", 10);
        var drain = args.Seconds("--drain-seconds", 3);
        var targets = args.Int("--targets", 0, 0, 1_000_000);
        return (server, settings) => RunAsync(server, settings, concurrency, duration, idle, drain, targets);
    }

    private static async Task RunAsync(TetherServer server, PusherSettings settings, int concurrency, TimeSpan duration, TimeSpan idle, TimeSpan drain, int targets)
    {
        var perNode = targets == 0 ? settings.PerNode : Math.Min(targets, settings.PerNode);
        string[] ids = [.. (settings with { PerNode = perNode }).AllClientIds()];
        await using var redis = await RedisStats.ConnectAsync(settings.Redis).ConfigureAwait(false);

        var idle0 = await redis.ReadAsync().ConfigureAwait(false);
        await Task.Delay(idle, settings.Stop).ConfigureAwait(false);
        var idle1 = await redis.ReadAsync().ConfigureAwait(false);
        // Each reading is two INFO commands.
        var idlePerSecond = Math.Max(0, idle1.Total - idle0.Total - 2) / idle.TotalSeconds;

        var outcomes = new SendOutcomes();
        long nextId = 0;
        var before = await redis.ReadAsync().ConfigureAwait(false);
        var started = Stopwatch.GetTimestamp();
        var end = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        Output.Status(string.Create(CultureInfo.InvariantCulture, $"pusher: {concurrency} sends in flight to {ids.Length} client ids for {duration.TotalSeconds:0} s"));
        var loops = Enumerable.Range(0, concurrency).Select(async loop =>
        {
            var random = new Random(loop);
            while (Stopwatch.GetTimestamp() < end && !settings.Stop.IsCancellationRequested)
            {
                var id = Interlocked.Increment(ref nextId) - 1;
                var payload = new Probe(ProbeKind.Push, id, Stopwatch.GetTimestamp(), 0).ToArray();
                await outcomes.SendAsync(server, ids[random.Next(ids.Length)], id, payload, CancellationToken.None).ConfigureAwait(false);
                Output.Progress(string.Create(CultureInfo.InvariantCulture, $"pusher: {outcomes.Accepted} accepted"));
            }
        });
        await Task.WhenAll(loops).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started);
        await Task.Delay(drain, CancellationToken.None).ConfigureAwait(false);
        var after = await redis.ReadAsync().ConfigureAwait(false);
        var window = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var commands = after.Total - before.Total - 2 - (idlePerSecond * window);
        var accepted = Math.Max(1, outcomes.Accepted);

        Output.Event("result", json =>
        {
            json.WriteString("workload", "reliable");
            json.WriteNumber("concurrency", concurrency);
            json.WriteNumber("targets", ids.Length);
            json.WriteNumber("seconds", Math.Round(elapsed.TotalSeconds, 3));
            outcomes.Write(json);
            json.WriteNumber("acceptedPerSecond", Math.Round(outcomes.Accepted / elapsed.TotalSeconds));
            json.WriteNumber("idleCommandsPerSecond", Math.Round(idlePerSecond, 2));
            json.WriteNumber("commands", Math.Round(commands));
            json.WriteNumber("commandsPerMessage", Math.Round(commands / accepted, 3));
            json.WriteStartObject("callsPerMessage");
            foreach (var (name, calls) in after.CallsSince(before).OrderByDescending(p => p.Value))
            {
                json.WriteNumber(name, Math.Round(calls / (double)accepted, 3));
            }

            json.WriteEndObject();
        });
    }
}
