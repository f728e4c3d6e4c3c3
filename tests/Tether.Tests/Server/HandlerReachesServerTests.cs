using System.Buffers;
using System.Net;
using System.Text;
using Tether.Client;
using Tether.Server;
using Tether.Tests.Support;

namespace Tether.Tests.Server;

public sealed class HandlerReachesServerTests
{
    [Fact]
    public async Task A_handler_pushes_one_clients_message_to_another_through_the_connections_server()
    {
        var options = new TetherServerOptions();
        options.EndPoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        await using var server = new TetherServer(options, new ForwardingHandler());
        await server.StartAsync();
        await using var alice = new TetherClient(WithId(ClientFactory.Options(server.LocalEndPoints[0]), "alice"));
        await using var bob = new TetherClient(WithId(ClientFactory.Options(server.LocalEndPoints[0]), "bob"));
        await alice.ConnectAsync();
        await bob.ConnectAsync();

        await alice.SendAsync("bob|psst"u8.ToArray());

        await using var received = bob.ReadAllAsync().GetAsyncEnumerator();
        Assert.True(await received.MoveNextAsync().AsTask().WaitAsync(Timeouts.Event));
        Assert.Equal("alice: psst", Encoding.UTF8.GetString(received.Current.Span));
    }

    [Fact]
    public async Task A_connection_names_the_server_that_accepted_it()
    {
        await using var server = await ServerFixture.StartAsync();
        await using var client = new TetherClient(ClientFactory.Options(server.EndPoint));
        await client.ConnectAsync();

        var connection = await server.Handler.NextConnectedAsync();

        Assert.Same(server.Server, connection.Server);
    }

    private static TetherClientOptions WithId(TetherClientOptions options, string clientId)
    {
        options.ClientId = clientId;
        return options;
    }

    /// <summary>Takes "RECIPIENT|TEXT" and sends "SENDER: TEXT" to the recipient, as a private message in a chat would.</summary>
    private sealed class ForwardingHandler : TetherServerHandler
    {
        public override async ValueTask OnMessageAsync(TetherConnection connection, ReadOnlySequence<byte> message)
        {
            var parts = Encoding.UTF8.GetString(message).Split('|', 2);
            var delivered = await connection.Server.SendToClientAsync(parts[0], Encoding.UTF8.GetBytes($"{connection.ClientId}: {parts[1]}"));
            Assert.True(delivered);
        }
    }
}
