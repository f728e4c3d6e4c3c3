using Tether.Protocol;
using static Tether.Tests.Cluster.ClusterTestNodes;

namespace Tether.Tests.Cluster;

/// <summary>Pushes and broadcasts across nodes sharing one Redis, and a client id that moves to another node.</summary>
public sealed class RoutingTests
{
    [RedisFact]
    public async Task A_push_to_a_client_id_on_another_node_reaches_it_and_an_unknown_id_is_false()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await StartNodeAsync(redis, "a");
        await using var b = await StartNodeAsync(redis, "b");
        await using var bob = await ConnectAsync(b, "bob");
        await UntilLocatedAsync(a, "bob", "b");

        Assert.True(await a.Server.SendToClientAsync("bob", "hello from a"u8.ToArray()));
        Assert.False(await a.Server.SendToClientAsync("nobody", "lost"u8.ToArray()));

        Assert.Equal("hello from a", await bob.NextAsync());
    }

    [RedisFact]
    public async Task A_broadcast_from_one_node_reaches_every_client_of_every_node_exactly_once()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await StartNodeAsync(redis, "a");
        await using var b = await StartNodeAsync(redis, "b");
        await using var c = await StartNodeAsync(redis, "c");
        await using var onA = await ConnectAsync(a, "on-a");
        await using var onB = await ConnectAsync(b, "on-b");
        await using var onC = await ConnectAsync(c, "on-c");
        await UntilAsync(async () => (await a.Server.GetNodesAsync()).Count == 3, "three nodes");
        await Eventually.WaitUntilAsync(() => b.Server.Routing!.Subscriptions.Count >= 2 && c.Server.Routing!.Subscriptions.Count >= 2, "the nodes subscribed");

        Assert.Equal(1, a.Server.Broadcast("first"u8));
        Assert.Equal(1, await a.Server.BroadcastAsync("second"u8.ToArray()));

        // The second right after the first: a duplicate of the first would come between them.
        foreach (var client in new[] { onA, onB, onC })
        {
            Assert.Equal("first", await client.NextAsync());
            Assert.Equal("second", await client.NextAsync());
        }
    }

    [RedisFact]
    public async Task The_same_client_id_on_a_second_node_closes_its_connection_on_the_first_with_replaced()
    {
        // Without sessions: a session left on the first node is the session store's business, not routing's.
        await using var redis = await RedisServer.StartAsync();
        await using var a = await StartNodeAsync(redis, "a", sessions: false);
        await using var b = await StartNodeAsync(redis, "b", sessions: false);
        await using var first = await ConnectAsync(a, "device-7");
        var older = await a.Handler.NextConnectedAsync();
        await UntilLocatedAsync(a, "device-7", "a");

        await using var second = await ConnectAsync(b, "device-7");

        var (closed, info) = await a.Handler.NextDisconnectedAsync();
        Assert.Same(older, closed);
        Assert.Equal(CloseCode.Replaced, info.Code);
        await UntilLocatedAsync(a, "device-7", "b");
        Assert.True(await a.Server.SendToClientAsync("device-7", "to the newer one"u8.ToArray()));
        Assert.Equal("to the newer one", await second.NextAsync());
        Assert.False(b.Handler.TryGetDisconnected(out _));
    }

    [RedisFact]
    public async Task A_late_replace_never_closes_the_connection_the_directory_names()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await StartNodeAsync(redis, "a", sessions: false);
        await using var client = await ConnectAsync(a, "device-8");
        var connection = await a.Handler.NextConnectedAsync();
        await UntilLocatedAsync(a, "device-8", "a");

        // A replace from a node whose registration came before this connection's (the directory names this one).
        await a.Server.Routing!.ReplaceAsync("device-8", "b:old");

        Assert.Equal(Tether.Server.ConnectionState.Open, connection.State);
        Assert.True(await a.Server.SendToClientAsync("device-8", "still here"u8.ToArray()));
        Assert.Equal("still here", await client.NextAsync());
    }
}
