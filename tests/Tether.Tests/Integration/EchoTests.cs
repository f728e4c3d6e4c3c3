using System.Text;
using Tether.Client;
using Tether.Tests.Support;

namespace Tether.Tests.Integration;

public sealed class EchoTests
{
    [Fact]
    public async Task Client_message_is_echoed_by_the_server()
    {
        await using var server = await ServerFixture.StartAsync();
        var options = new TetherClientOptions { ClientId = "alice" };
        options.EndPoints.Add(server.EndPoint);
        await using var client = new TetherClient(options);
        await client.ConnectAsync();

        await client.SendAsync(Encoding.UTF8.GetBytes("hello"));

        await using var messages = client.ReadAllAsync().GetAsyncEnumerator();
        Assert.True(await messages.MoveNextAsync().AsTask().WaitAsync(Timeouts.Event));
        Assert.Equal("hello", Encoding.UTF8.GetString(messages.Current.Span));
        var connection = await server.Handler.NextConnectedAsync();
        Assert.Equal("alice", connection.ClientId);
        Assert.True(server.Server.Connections.TryGetByClientId("alice", out _));
    }
}
