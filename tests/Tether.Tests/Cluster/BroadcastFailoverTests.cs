using System.Globalization;
using System.Text;
using Tether.Client;
using static Tether.Tests.Cluster.ClusterTestNodes;

namespace Tether.Tests.Cluster;

/// <summary>
/// Cluster broadcasts and sessions: a session whose node dies catches up on another node on the broadcasts it missed,
/// each once and in order, and a session that starts takes only broadcasts sent after it.
/// </summary>
public sealed class BroadcastFailoverTests
{
    [RedisFact]
    public async Task A_session_whose_node_is_killed_mid_stream_gets_every_broadcast_once_in_order_on_another_node()
    {
        const int Count = 60;
        await using var redis = await RedisServer.StartAsync();
        await using var a = await StartNodeAsync(redis, "a");
        await using var b = await StartNodeAsync(redis, "b");
        var c = await StartNodeAsync(redis, "c");
        using var caughtUp = new Support.MetricRecorder(b.Server.Metrics.Meter, "none");
        var options = Support.ClientFactory.Options(c.EndPoint);
        options.ClientId = "listener";
        options.EndPoints.Add(b.EndPoint);
        await using var listener = new ReadingClient(new TetherClient(options));
        await listener.Client.ConnectAsync();
        await UntilAsync(async () => (await a.Server.GetNodesAsync()).Count == 3, "three nodes");
        await Eventually.WaitUntilAsync(() => c.Server.Routing!.Subscriptions.Count >= 2, "c subscribed");

        var received = new List<int>();
        for (var n = 1; n <= Count; n++)
        {
            if (n == Count / 3)
            {
                // As kill -9: connections drop, nothing more is written to Redis.
                await c.Server.KillForTestingAsync();
            }

            await a.Server.BroadcastAsync(Encoding.UTF8.GetBytes(n.ToString(CultureInfo.InvariantCulture)));
            if (n % 10 == 0)
            {
                await Task.Delay(20);
            }
        }

        while (received.Count < Count)
        {
            received.Add(int.Parse(await listener.NextAsync(), CultureInfo.InvariantCulture));
        }

        Assert.Equal(Enumerable.Range(1, Count), received);
        Assert.True(b.Server.Sessions.TryGetByClientId("listener", out var resumed));
        Assert.Equal((ulong)Count, resumed.LastSentSequence);

        // The resume came while broadcasts went on: the ones between the kill and the resume came from the log.
        Assert.True(caughtUp.Sum("tether.cluster.broadcasts_caught_up") > 0, "nothing was caught up: the test did not cover the gap");
        await c.DisposeAsync();
    }

    [RedisFact]
    public async Task A_new_session_takes_the_broadcasts_sent_after_it_started_and_none_from_before()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await StartNodeAsync(redis, "a");
        await using var b = await StartNodeAsync(redis, "b");
        await using var early = await ConnectAsync(b, "early");
        await Eventually.WaitUntilAsync(() => b.Server.Routing!.Subscriptions.Count >= 2, "b subscribed");
        await a.Server.BroadcastAsync("before"u8.ToArray());
        Assert.Equal("before", await early.NextAsync());

        await using var late = await ConnectAsync(b, "late");
        await a.Server.BroadcastAsync("after"u8.ToArray());

        Assert.Equal("after", await late.NextAsync());
        Assert.Equal("after", await early.NextAsync());
    }
}
