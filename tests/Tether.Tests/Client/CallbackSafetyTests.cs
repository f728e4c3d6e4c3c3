using System.Buffers;
using System.Text;
using Tether.Client;
using Tether.Tests.Support;

namespace Tether.Tests.Client;

/// <summary>Application callbacks that throw are logged and counted; the client and its connection go on.</summary>
public sealed class CallbackSafetyTests
{
    [Fact]
    public async Task A_state_handler_that_throws_leaves_the_client_connected_and_is_counted()
    {
        await using var server = await ServerFixture.StartAsync();
        await using var client = new TetherClient(ClientFactory.Options(server.EndPoint));
        using var metrics = new MetricRecorder(client.Metrics.Meter, "callback");
        client.StateChanged += (_, _) => throw new InvalidOperationException("a buggy handler");
        var states = new StateRecorder(client);

        await client.ConnectAsync();
        await states.WaitForAsync(ClientState.Connected);

        await client.SendAsync("still here"u8.ToArray());
        Assert.Equal("still here", Encoding.UTF8.GetString((await server.Handler.NextMessageAsync()).Message));
        Assert.Equal(ClientState.Connected, client.State);
        Assert.False(client.Completion.IsCompleted);
        Assert.Equal(2, metrics.Sum("tether.handler.errors", nameof(TetherClient.StateChanged)));
    }

    [Fact]
    public async Task A_slow_state_handler_does_not_hold_up_the_connection()
    {
        await using var server = await ServerFixture.StartAsync();
        await using var client = new TetherClient(ClientFactory.Options(server.EndPoint));
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.StateChanged += (_, e) =>
        {
            if (e.Current == ClientState.Connecting)
            {
                release.Task.Wait(Timeouts.Event);
            }
        };

        var connecting = client.ConnectAsync();

        // The first event's handler is stuck, yet the client connects and the server's application hears of it.
        await server.Handler.NextConnectedAsync();
        await Eventually.WaitUntilAsync(() => client.State == ClientState.Connected, "the client's connected state");
        Assert.False(connecting.IsCompleted, "ConnectAsync returns once the events before it have been raised");

        release.SetResult();
        await connecting.WaitAsync(Timeouts.Event);
    }

    [Fact]
    public async Task A_message_handler_that_throws_leaves_the_connection_up_and_the_next_message_arrives()
    {
        await using var server = await ServerFixture.StartAsync();
        var handler = new ThrowingOnce();
        await using var client = new TetherClient(ClientFactory.Options(server.EndPoint), handler);
        using var metrics = new MetricRecorder(client.Metrics.Meter, "callback");
        await client.ConnectAsync();

        await client.SendAsync("boom"u8.ToArray());
        await client.SendAsync("fine"u8.ToArray());

        Assert.Equal("fine", await handler.Delivered.Task.WaitAsync(Timeouts.Event));
        Assert.Equal(ClientState.Connected, client.State);
        Assert.Equal(1, metrics.Sum("tether.handler.errors", nameof(TetherClientHandler.OnMessageAsync)));
    }

    private sealed class ThrowingOnce : TetherClientHandler
    {
        public TaskCompletionSource<string> Delivered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override ValueTask OnMessageAsync(TetherClient client, ReadOnlySequence<byte> message)
        {
            var text = Encoding.UTF8.GetString(message.ToArray());
            if (text == "boom")
            {
                throw new InvalidOperationException("a buggy handler");
            }

            Delivered.TrySetResult(text);
            return ValueTask.CompletedTask;
        }
    }
}
