using System.Buffers;
using System.Text;
using System.Threading.Channels;
using Tether.Client;
using Tether.Tests.Support;

namespace Tether.Tests.Client;

public sealed class ClientHandlerTests
{
    [Fact]
    public async Task A_client_handler_receives_messages_in_order_without_read_all()
    {
        await using var server = await ServerFixture.StartAsync();
        var handler = new CollectingHandler();
        await using var client = new TetherClient(ClientFactory.Options(server.EndPoint), handler);
        await client.ConnectAsync();

        for (var i = 0; i < 100; i++)
        {
            await client.SendAsync(Encoding.UTF8.GetBytes($"m{i}"));
        }

        for (var i = 0; i < 100; i++)
        {
            var received = await handler.Messages.Reader.ReadAsync().AsTask().WaitAsync(Timeouts.Event);
            Assert.Equal($"m{i}", received);
        }

        Assert.Throws<InvalidOperationException>(() => client.ReadAllAsync().GetAsyncEnumerator().MoveNextAsync().AsTask().GetAwaiter().GetResult());
    }

    private sealed class CollectingHandler : TetherClientHandler
    {
        public Channel<string> Messages { get; } = Channel.CreateUnbounded<string>();

        public override ValueTask OnMessageAsync(TetherClient client, ReadOnlySequence<byte> message)
        {
            Messages.Writer.TryWrite(Encoding.UTF8.GetString(message));
            return ValueTask.CompletedTask;
        }
    }
}
