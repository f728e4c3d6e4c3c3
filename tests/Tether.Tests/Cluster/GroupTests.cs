using static Tether.Tests.Cluster.ClusterTestNodes;

namespace Tether.Tests.Cluster;

/// <summary>Groups on a single node: membership per client id, sends to the connected members, names checked.</summary>
public sealed class GroupTests
{
    [Fact]
    public async Task A_group_send_reaches_the_connected_members_only_and_a_member_that_left_no_more()
    {
        await using var server = await Support.ServerFixture.StartAsync(handler: new Support.RecordingHandler { Echo = false });
        await using var alice = await ConnectAsync(server, "alice");
        await using var bob = await ConnectAsync(server, "bob");
        await using var carol = await ConnectAsync(server, "carol");
        await server.Server.JoinGroupAsync("alice", "room");
        await server.Server.JoinGroupAsync("bob", "room");
        await server.Server.JoinGroupAsync("nobody-connected", "room");

        Assert.Equal(2, await server.Server.SendToGroupAsync("room", "to the room"u8.ToArray()));
        await server.Server.LeaveGroupAsync("bob", "room");
        Assert.Equal(1, await server.Server.SendToGroupAsync("room", "bob left"u8.ToArray()));
        Assert.True(await server.Server.SendToClientAsync("bob", "direct"u8.ToArray()));
        Assert.True(await server.Server.SendToClientAsync("carol", "direct"u8.ToArray()));

        Assert.Equal("to the room", await alice.NextAsync());
        Assert.Equal("bob left", await alice.NextAsync());
        Assert.Equal("to the room", await bob.NextAsync());
        Assert.Equal("direct", await bob.NextAsync());
        Assert.Equal("direct", await carol.NextAsync());
        Assert.Equal(["room"], await server.Server.GetGroupsAsync("alice"));
        Assert.Empty(await server.Server.GetGroupsAsync("bob"));
    }

    [Fact]
    public async Task Membership_belongs_to_the_client_id_and_survives_a_reconnect()
    {
        await using var server = await Support.ServerFixture.StartAsync(handler: new Support.RecordingHandler { Echo = false });
        await server.Server.JoinGroupAsync("dave", "news");
        await using (var first = await ConnectAsync(server, "dave"))
        {
            Assert.Equal(1, await server.Server.SendToGroupAsync("news", "one"u8.ToArray()));
            Assert.Equal("one", await first.NextAsync());
        }

        await server.Handler.NextDisconnectedAsync();
        await using var second = await ConnectAsync(server, "dave");
        await server.Server.SendToGroupAsync("news", "two"u8.ToArray());
        Assert.Equal("two", await second.NextAsync());
    }

    [Fact]
    public async Task Group_names_and_client_ids_are_checked()
    {
        await using var server = await Support.ServerFixture.StartAsync();

        await Assert.ThrowsAsync<ArgumentException>(() => server.Server.JoinGroupAsync("a", string.Empty));
        await Assert.ThrowsAsync<ArgumentException>(() => server.Server.JoinGroupAsync("a", new string('g', 201)));
        await Assert.ThrowsAsync<ArgumentException>(() => server.Server.JoinGroupAsync(string.Empty, "g"));
        await Assert.ThrowsAsync<ArgumentException>(() => server.Server.SendToGroupAsync(string.Empty, new byte[1]));
        await server.Server.JoinGroupAsync("a", new string('g', 200));
    }
}
