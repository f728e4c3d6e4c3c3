using Tether.Cluster;
using static Tether.Tests.Cluster.ClusterTestNodes;

namespace Tether.Tests.Cluster;

/// <summary>Which nodes are alive, with their counts, and where a client id is connected.</summary>
public sealed class PresenceTests
{
    [RedisFact]
    public async Task Nodes_announce_their_counts_and_a_client_id_is_located_on_its_node()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await StartNodeAsync(redis, "a");
        await using var b = await StartNodeAsync(redis, "b");
        await using var one = await ConnectAsync(b, "one");
        await using var two = await ConnectAsync(b, "two");
        await using var three = await ConnectAsync(a, "three");

        await UntilAsync(
            async () => (await a.Server.GetNodesAsync()) is { Count: 2 } nodes && nodes.Single(n => n.Name == "b").Connections == 2 && nodes.Single(n => n.Name == "a").Connections == 1,
            "both nodes with their counts");
        await UntilLocatedAsync(a, "one", "b");

        var location = await a.Server.LocateClientAsync("one");
        Assert.Equal(b.Server.Cluster!.Identity.Id, location!.NodeId);
        Assert.True(location.ConnectionId > 0);
        Assert.True(DateTimeOffset.UtcNow - location.ConnectedSince < TimeSpan.FromMinutes(1));
        Assert.Null(await a.Server.LocateClientAsync("nobody"));

        var onB = new List<string>();
        await foreach (var id in a.Server.GetClientIdsAsync("b"))
        {
            onB.Add(id);
        }

        Assert.Equal(["one", "two"], onB.Order(StringComparer.Ordinal));
        await UntilAsync(async () => await CountAsync(a.Server.GetClientIdsAsync()) == 3, "three client ids in the cluster");
    }

    [RedisFact]
    public async Task A_closed_connection_leaves_the_directory()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await StartNodeAsync(redis, "a");
        var client = await ConnectAsync(a, "short-lived");
        await UntilLocatedAsync(a, "short-lived", "a");

        await client.DisposeAsync();

        await UntilAsync(async () => await a.Server.LocateClientAsync("short-lived") is null, "the entry removed");
    }

    [RedisFact]
    public async Task A_node_that_is_gone_disappears_from_presence_and_its_clients_are_found_nowhere()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await StartNodeAsync(redis, "a");
        var b = await StartNodeAsync(redis, "b");
        await using (var client = await ConnectAsync(b, "on-b"))
        await using (var quiet = await ConnectAsync(b, "quiet-b"))
        {
            await UntilLocatedAsync(a, "on-b", "b");
            await UntilLocatedAsync(a, "quiet-b", "b");
            await UntilAsync(async () => (await a.Server.GetNodesAsync()).Count == 2, "two nodes");

            // Silenced rather than stopped: as a crashed node, it leaves its entries behind for the TTL and the janitor.
            b.Server.Routing!.SimulateCrashForTests();
            await UntilAsync(async () => (await a.Server.GetNodesAsync()).All(n => n.Name != "b"), "the silent node gone");
            await UntilAsync(async () => await redis.CommandAsync("EXISTS t:node:{" + b.Server.Cluster!.Identity.Id + "}") == ":0", "its announcement expired");
            Assert.Null(await a.Server.LocateClientAsync("on-b"));

            // Its session is the dead node's no longer: a push goes into it in Redis, for the client's resume elsewhere.
            Assert.True(await a.Server.SendToClientAsync("on-b", "for the resume"u8.ToArray()));
            Assert.StartsWith("$0", await redis.CommandAsync("HGET t:{on-b}:sess owner"), StringComparison.Ordinal);

            // The janitor (one node at a time) removes what the dead node left.
            await UntilAsync(async () => await redis.CommandAsync("EXISTS t:{on-b}:conn") == ":0", "the dead node's entry cleaned");

            // And releases the sessions it held, which would otherwise never expire.
            await UntilAsync(async () => (await redis.CommandAsync("HGET t:{quiet-b}:sess owner")).StartsWith("$0", StringComparison.Ordinal), "quiet-b's session released");
            var ttl = long.Parse((await redis.CommandAsync("PTTL t:{quiet-b}:sess")).TrimStart(':'), System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(ttl, 1, (long)TimeSpan.FromMinutes(10).TotalMilliseconds);
        }

        await b.DisposeAsync();
        Assert.Equal("a", Assert.Single(await a.Server.GetNodesAsync()).Name);
    }

    [RedisFact]
    public async Task A_killed_node_disappears_from_presence_long_before_its_announcement_expires()
    {
        await using var redis = await RedisServer.StartAsync();
        static void Slow(ScaleOutOptions o)
        {
            o.AnnounceInterval = TimeSpan.FromMinutes(1);
            o.NodeTimeToLive = TimeSpan.FromMinutes(5);
        }

        await using var a = await StartNodeAsync(redis, "a", Slow);
        var b = await StartNodeAsync(redis, "b", Slow);
        await using (var client = await ConnectAsync(b, "on-killed"))
        {
            await UntilLocatedAsync(a, "on-killed", "b");
            await UntilAsync(async () => (await a.Server.GetNodesAsync()).Count == 2, "two nodes");

            // As kill -9: Redis drops the node's connections, and with them its inbox's subscription.
            await b.Server.KillForTestingAsync();

            await UntilAsync(async () => (await a.Server.GetNodesAsync()).Count == 1, "the killed node gone");
            Assert.Null(await a.Server.LocateClientAsync("on-killed"));
            Assert.Equal(":1", await redis.CommandAsync("EXISTS t:node:{" + b.Server.Cluster!.Identity.Id + "}"));
        }

        await b.DisposeAsync();
    }

    [RedisFact]
    public async Task A_disposed_node_disappears_from_presence()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await StartNodeAsync(redis, "a");
        var b = await StartNodeAsync(redis, "b");
        await UntilAsync(async () => (await a.Server.GetNodesAsync()).Count == 2, "two nodes");

        await b.DisposeAsync();

        await UntilAsync(async () => (await a.Server.GetNodesAsync()).Count == 1, "the disposed node gone");
    }

    [Fact]
    public async Task A_single_node_answers_presence_from_its_own_state()
    {
        await using var server = await Support.ServerFixture.StartAsync();
        await using var client = await ConnectAsync(server, "solo");
        await server.Handler.NextConnectedAsync();

        var node = Assert.Single(await server.Server.GetNodesAsync());
        Assert.Equal(1, node.Connections);
        Assert.NotNull(await server.Server.LocateClientAsync("solo"));
        Assert.Null(await server.Server.LocateClientAsync("other"));
        Assert.Equal(["solo"], await ToListAsync(server.Server.GetClientIdsAsync()));
    }

    private static async Task<int> CountAsync(IAsyncEnumerable<string> ids) => (await ToListAsync(ids)).Count;

    private static async Task<List<string>> ToListAsync(IAsyncEnumerable<string> ids)
    {
        var list = new List<string>();
        await foreach (var id in ids)
        {
            list.Add(id);
        }

        return list;
    }
}
