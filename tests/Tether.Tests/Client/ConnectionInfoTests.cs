using Tether.Client;
using Tether.Heartbeat;
using Tether.Tests.Support;

namespace Tether.Tests.Client;

/// <summary>What a client knows of its current connection: typed, from the handshake, and gone when it is closed.</summary>
public sealed class ConnectionInfoTests
{
    [Fact]
    public async Task A_connected_client_knows_the_agreed_heartbeat_and_the_server_s_name()
    {
        await using var server = await ServerFixture.StartAsync(o => o.ServerId = "node-a");
        var options = ClientFactory.Options(server.EndPoint);
        options.HeartbeatInterval = TimeSpan.FromSeconds(2);
        options.HeartbeatTimeout = TimeSpan.FromSeconds(5);
        await using var client = new TetherClient(options);
        Assert.Null(client.Heartbeat);
        Assert.Null(client.ServerId);

        await client.ConnectAsync();

        Assert.Equal(new HeartbeatSettings(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5)), client.Heartbeat);
        Assert.Equal("node-a", client.ServerId);

        await client.CloseAsync();
        Assert.Null(client.Heartbeat);
        Assert.Null(client.ServerId);
    }
}
