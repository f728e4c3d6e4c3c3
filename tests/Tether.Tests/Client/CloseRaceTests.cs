using System.Buffers;
using Tether.Client;
using Tether.Server;
using Tether.Tests.Support;

namespace Tether.Tests.Client;

/// <summary>
/// A close that arrives while a reconnect is between its handshake and the moment the new connection becomes current
/// must still end that connection: otherwise the client stays connected (heartbeats keep the link alive) and the close
/// waits forever.
/// </summary>
public sealed class CloseRaceTests
{
    [Fact]
    public async Task A_close_during_the_session_reset_of_a_reconnect_ends_the_new_connection()
    {
        var first = await ServerFixture.StartAsync();
        var port = first.EndPoint.Port;
        var client = new TetherClient(ClientFactory.Options(first.EndPoint));
        var closing = new TaskCompletionSource<Task>(TaskCreationOptions.RunContinuationsAsynchronously);

        // SessionLost handlers run after the new connection's handshake and before the client lets its messages
        // through: the window in which a close finds no current connection to close.
        client.SessionLost += (_, _) => closing.TrySetResult(client.DisposeAsync().AsTask());
        await client.ConnectAsync();
        await first.DisposeAsync();
        await using var second = await ServerFixture.StartAsync(port: port);

        var disposal = await closing.Task.WaitAsync(Timeouts.Event);
        await disposal.WaitAsync(Timeouts.Event);

        Assert.Equal(ClientState.Closed, client.State);
        var (_, info) = await second.Handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.ClosedByPeer, info.Reason);
    }

    [Fact]
    public async Task A_close_while_the_handshake_waits_for_welcome_returns()
    {
        using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        listener.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        listener.Listen();
        var client = new TetherClient(ClientFactory.Options(listener.LocalEndPoint!));
        var connecting = client.ConnectAsync();

        // The peer accepts and reads HELLO, then never answers.
        using var accepted = await listener.AcceptAsync().WaitAsync(Timeouts.Event);
        var hello = new byte[64];
        Assert.True(await accepted.ReceiveAsync(hello, System.Net.Sockets.SocketFlags.None).WaitAsync(Timeouts.Event) > 0);

        await client.DisposeAsync().AsTask().WaitAsync(Timeouts.Event);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connecting.WaitAsync(Timeouts.Event));
        Assert.Equal(ClientState.Closed, client.State);
    }

    [Fact]
    public async Task Senders_waiting_for_room_or_an_ack_fail_when_the_client_closes_for_good()
    {
        // The server's application never returns from the first message, so the server acknowledges nothing more.
        var stuck = new StuckHandler();
        await using var server = await ServerFixture.StartAsync(handler: stuck);
        var options = ClientFactory.Options(server.EndPoint);
        options.Reconnect.Enabled = false;
        options.Sessions.MaxUnacknowledgedBytes = 8 * 1024;
        await using var client = new TetherClient(options);
        await client.ConnectAsync();
        var connection = await server.Handler.NextConnectedAsync();

        var waitingForAck = client.SendAndWaitForAckAsync(new byte[100]);
        await stuck.Entered.WaitAsync(Timeouts.Event);
        var waitingForRoom = Task.Run(async () =>
        {
            while (true)
            {
                await client.SendAsync(new byte[1024]);
            }
        });
        await Eventually.WaitUntilAsync(() => client.UnacknowledgedMessages >= 8);
        Assert.False(waitingForRoom.IsCompleted);

        connection.Abort();

        var full = await Assert.ThrowsAsync<TetherException>(() => waitingForRoom.WaitAsync(Timeouts.Event));
        Assert.Contains("closed", full.Message, StringComparison.Ordinal);
        var unacknowledged = await Assert.ThrowsAsync<TetherException>(() => waitingForAck.WaitAsync(Timeouts.Event));
        Assert.Contains("acknowledged", unacknowledged.Message, StringComparison.Ordinal);
        Assert.Equal(ClientState.Closed, client.State);
        await Assert.ThrowsAsync<TetherException>(async () => await client.SendAsync(new byte[1]));
        stuck.Release();
    }

    private sealed class StuckHandler : RecordingHandler
    {
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Entered => _entered.Task;

        public void Release() => _release.TrySetResult();

        public override async ValueTask OnMessageAsync(TetherConnection connection, ReadOnlySequence<byte> message)
        {
            _entered.TrySetResult();
            await _release.Task;
        }
    }
}
