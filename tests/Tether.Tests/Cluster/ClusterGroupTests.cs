using static Tether.Tests.Cluster.ClusterTestNodes;

namespace Tether.Tests.Cluster;

/// <summary>Groups across nodes: a send on one node reaches members on others, and membership follows the client id.</summary>
public sealed class ClusterGroupTests
{
    [RedisFact]
    public async Task A_member_on_another_node_gets_a_group_send_until_it_leaves_and_again_after_moving_to_a_third_node()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await StartNodeAsync(redis, "a");
        await using var b = await StartNodeAsync(redis, "b");
        await using var c = await StartNodeAsync(redis, "c");
        var member = await ConnectAsync(b, "member");
        await using var local = await ConnectAsync(a, "local");
        await UntilLocatedAsync(a, "member", "b");
        await UntilLocatedAsync(a, "local", "a");

        // Joined through node a: node b, which holds the connection, learns of it and subscribes.
        await a.Server.JoinGroupAsync("member", "room");
        await a.Server.JoinGroupAsync("local", "room");
        await Eventually.WaitUntilAsync(() => b.Server.Routing!.Groups.IsSubscribed("room"), "node b subscribed to the group");
        Assert.Equal(["room"], await c.Server.GetGroupsAsync("member"));

        Assert.Equal(1, await a.Server.SendToGroupAsync("room", "one"u8.ToArray()));
        Assert.Equal("one", await member.NextAsync());
        Assert.Equal("one", await local.NextAsync());

        await a.Server.LeaveGroupAsync("member", "room");
        await Eventually.WaitUntilAsync(() => !b.Server.Routing!.Groups.IsSubscribed("room"), "node b unsubscribed");
        await a.Server.SendToGroupAsync("room", "two"u8.ToArray());
        Assert.Equal("two", await local.NextAsync());
        Assert.True(await a.Server.SendToClientAsync("member", "direct"u8.ToArray()));
        Assert.Equal("direct", await member.NextAsync());

        // Joined again, then the client reconnects to node c: its membership comes along.
        await b.Server.JoinGroupAsync("member", "room");
        await member.DisposeAsync();
        await UntilAsync(async () => await a.Server.LocateClientAsync("member") is null, "the member gone");
        await Eventually.WaitUntilAsync(() => !b.Server.Routing!.Groups.IsSubscribed("room"), "node b unsubscribed after the member left");
        await using var moved = await ConnectAsync(c, "member");
        await Eventually.WaitUntilAsync(() => c.Server.Routing!.Groups.IsSubscribed("room"), "node c subscribed after the move");

        await a.Server.SendToGroupAsync("room", "three"u8.ToArray());
        Assert.Equal("three", await moved.NextAsync());
        Assert.Equal("three", await local.NextAsync());
    }
}
