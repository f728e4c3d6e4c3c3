using Tether.Client;
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
}
