using System.Buffers;
using System.Text;
using Tether.Client;
using Tether.Server;
using Tether.Tests.Support;

namespace Tether.Tests.Server;

/// <summary>A server message handler that throws is logged and counted; the connection and its session go on.</summary>
public sealed class HandlerFailureTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_message_handler_that_throws_does_not_end_the_connection(bool asynchronously)
    {
        var handler = new FailingHandler(asynchronously);
        await using var server = await ServerFixture.StartAsync(handler: handler);
        using var metrics = new MetricRecorder(server.Server.Metrics.Meter, "callback");
        await using var client = new TetherClient(ClientFactory.Options(server.EndPoint));
        await client.ConnectAsync();
        var connection = await handler.NextConnectedAsync();

        await client.SendAsync("boom"u8.ToArray());
        await client.SendAndWaitForAckAsync("after"u8.ToArray()).WaitAsync(Timeouts.Event);

        Assert.Equal("after", Encoding.UTF8.GetString((await handler.NextMessageAsync()).Message));
        Assert.Null(connection.DisconnectInfo);
        Assert.Equal(ClientState.Connected, client.State);
        Assert.Equal(1, metrics.Sum("tether.handler.errors", nameof(TetherServerHandler.OnMessageAsync)));
    }

    private sealed class FailingHandler(bool asynchronously) : RecordingHandler
    {
        public override async ValueTask OnMessageAsync(TetherConnection connection, ReadOnlySequence<byte> message)
        {
            if (Encoding.UTF8.GetString(message.ToArray()) == "boom")
            {
                if (asynchronously)
                {
                    await Task.Yield();
                }

                throw new InvalidOperationException("a buggy handler");
            }

            await base.OnMessageAsync(connection, message);
        }
    }
}
