using System.Diagnostics;
using Tether.Client;
using Tether.Tests.Support;
using static Tether.Tests.Cluster.ClusterTestNodes;

namespace Tether.Tests.Cluster;

/// <summary>What a node does when its Redis goes away, comes back empty, or its subscription silently stalls.</summary>
public sealed class ClusterFaultTests
{
    [RedisFact]
    public async Task With_redis_stopped_clients_stay_connected_remote_operations_fail_fast_and_presence_returns_when_it_is_back()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await StartNodeAsync(redis, "a");
        await using var b = await StartNodeAsync(redis, "b");
        using var metrics = new MetricRecorder(a.Server.Metrics.Meter, "operation");
        using var events = new MetricRecorder(a.Server.Metrics.Meter, "event");
        await using var onA = await ConnectAsync(a, "on-a");
        await using var plainA = await ConnectAsync(a, "plain-a", session: false);
        await using var onB = await ConnectAsync(b, "on-b");
        await UntilLocatedAsync(a, "on-b", "b");

        await redis.StopAsync();

        var watch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<TetherException>(async () => await a.Server.SendToClientAsync("on-b", "lost"u8.ToArray()));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"took {watch.Elapsed}");
        Assert.StartsWith("scale-out: Redis unavailable", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<TetherException>(() => a.Server.BroadcastAsync("lost"u8.ToArray()));
        await Assert.ThrowsAsync<TetherException>(() => a.Server.SendToGroupAsync("g", "lost"u8.ToArray()));
        await Assert.ThrowsAsync<TetherException>(() => a.Server.GetNodesAsync());
        await Assert.ThrowsAsync<TetherException>(() => a.Server.LocateClientAsync("on-b"));
        Assert.True(metrics.Sum("tether.cluster.redis_unavailable", "send") >= 1);

        // A reliable message cannot be stored, so it is refused at once, even for a local session; the connection stays.
        var reliable = await Assert.ThrowsAsync<TetherException>(async () => await a.Server.SendToClientAsync("on-a", "not stored"u8.ToArray()));
        Assert.StartsWith("scale-out: Redis unavailable", reliable.Message, StringComparison.Ordinal);

        // Local traffic without a session goes on: a local push and a local broadcast reach the sessionless client.
        Assert.True(await a.Server.SendToClientAsync("plain-a", "local"u8.ToArray()));
        Assert.Equal("local", await plainA.NextAsync());
        Assert.Equal(1, a.Server.Broadcast("local broadcast"u8));
        Assert.Equal("local broadcast", await plainA.NextAsync());

        await redis.StartAgainAsync();

        // Empty Redis: each node rewrites its directory, and presence is exact again.
        await UntilLocatedAsync(a, "on-b", "b");
        await UntilLocatedAsync(b, "on-a", "a");
        await UntilAsync(async () => (await a.Server.GetNodesAsync()).Count == 2, "both nodes announced again");
        Assert.Equal(ClientState.Connected, onA.Client.State);
        Assert.Equal(ClientState.Connected, plainA.Client.State);
        Assert.Equal(ClientState.Connected, onB.Client.State);
        Assert.False(a.Handler.TryGetDisconnected(out _));
        Assert.False(b.Handler.TryGetDisconnected(out _));

        // The sessions Redis held were gone with its data: each node wrote back the ones it holds, so a push to on-b is
        // stored again and arrives on the same connection (no reset, no reconnect).
        await UntilAsync(
            async () =>
            {
                try
                {
                    return await a.Server.SendToClientAsync("on-b", "back"u8.ToArray());
                }
                catch (TetherException)
                {
                    return false;
                }
            },
            "a push to on-b stored again");
        Assert.Equal("back", await onB.NextAsync());
        Assert.Equal(ClientState.Connected, onB.Client.State);
        Assert.False(b.Handler.TryGetDisconnected(out _));
        Assert.False(b.Handler.TryGetSessionLost(out _));
        Assert.True(events.Sum("tether.cluster.redis_connection_events", "lost") >= 1);
        Assert.True(events.Sum("tether.cluster.redis_connection_events", "restored") >= 1);
        Assert.True(metrics.Sum("tether.cluster.directory_rewrites") >= 1);
        await Eventually.WaitUntilAsync(() => metrics.Sum("tether.cluster.epoch_changes") >= 1, "the new dataset noticed");
    }

    [RedisFact]
    public async Task Clients_keep_their_heartbeats_while_redis_is_away()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await StartNodeAsync(redis, "a");
        var options = ClientFactory.Options(a.EndPoint);
        options.ClientId = "beating";
        options.HeartbeatInterval = TimeSpan.FromSeconds(1);
        await using var client = new TetherClient(options);
        var rtts = 0;
        client.RoundTripTimeMeasured += (_, _) => Interlocked.Increment(ref rtts);
        await client.ConnectAsync();

        await redis.StopAsync();
        var before = Volatile.Read(ref rtts);
        await Eventually.WaitUntilAsync(() => Volatile.Read(ref rtts) >= before + 2, "two more heartbeat round trips");

        Assert.Equal(ClientState.Connected, client.State);
        Assert.False(a.Handler.TryGetDisconnected(out _));
    }

    [RedisFact]
    public async Task A_stalled_subscription_is_detected_counted_and_repaired_and_routing_works_again()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await StartNodeAsync(redis, "a");
        await using var b = await StartNodeAsync(redis, "b");
        using var metrics = new MetricRecorder(b.Server.Metrics.Meter, "none");
        await using var onB = await ConnectAsync(b, "on-b");
        await UntilLocatedAsync(a, "on-b", "b");

        b.Server.Routing!.SimulateStalledSubscription();

        await Eventually.WaitUntilAsync(() => metrics.Sum("tether.cluster.subscription_repairs") >= 1, "the stall repaired");
        Assert.True(metrics.Sum("tether.cluster.subscription_stalls") >= 1);
        // A push is at most once: one that met the resubscription in flight may be gone, so push until one arrives.
        var next = onB.NextAsync();
        while (!next.IsCompleted)
        {
            Assert.True(await a.Server.SendToClientAsync("on-b", "after the repair"u8.ToArray()));
            await Task.WhenAny(next, Task.Delay(TimeSpan.FromMilliseconds(200)));
        }

        Assert.Equal("after the repair", await next);
    }
}
