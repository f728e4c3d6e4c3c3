using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Tether.Client;
using Tether.Protocol;
using Tether.Tests.Support;

namespace Tether.Tests.Client;

public sealed class ReconnectTests
{
    [Fact]
    public async Task Client_detects_a_half_open_link_and_reconnects_when_the_path_recovers()
    {
        var time = new FakeTimeProvider();
        var quarter = TimeSpan.FromMilliseconds(250);
        await using var setup = await ProxiedClient.ConnectAsync(
            o =>
            {
                o.HeartbeatInterval = TimeSpan.FromSeconds(1);
                o.HeartbeatTimeout = TimeSpan.FromSeconds(3);
                o.ConnectTimeout = TimeSpan.FromSeconds(2);
            },
            time,
            serverTime: time);
        var (server, proxy, client, states) = (setup.Server, setup.Proxy, setup.Client, setup.States);
        var connection = await server.Handler.NextConnectedAsync();

        // No FIN, no RST: the path just stops carrying bytes. Nothing has been received since fake time 0, so by the
        // timeout plus one check period (a quarter of the interval) both sides have given up on the link.
        proxy.BlackHole();
        time.AdvanceWithWheel(server.Server, TimeSpan.FromSeconds(3) + quarter, quarter);

        Assert.Equal(DisconnectReason.HeartbeatTimeout, connection.DisconnectInfo?.Reason);
        await states.WaitForAsync(ClientState.Reconnecting);
        Assert.Equal(DisconnectReason.HeartbeatTimeout, states.Last(ClientState.Reconnecting)!.Disconnect?.Reason);

        // While the path is down an attempt gets through TCP but never hears WELCOME: it fails at the connect timeout.
        time.Advance(PastDelay(states.Last(ClientState.Reconnecting)!));
        await Eventually.WaitUntilAsync(() => proxy.AcceptedConnections >= 2, "the second connection through the proxy");
        time.Advance(TimeSpan.FromSeconds(2));
        await states.WaitForAsync(ClientState.Reconnecting, 2);
        Assert.Contains("timed out", states.Last(ClientState.Reconnecting)!.Exception?.Message, StringComparison.Ordinal);

        // Once the path recovers the client is back by itself.
        proxy.Pass();
        time.Advance(PastDelay(states.Last(ClientState.Reconnecting)!));
        await states.WaitForAsync(ClientState.Connected, 2);
        Assert.Equal(ClientState.Connected, client.State);

        await client.SendAsync("back"u8.ToArray());
        var (_, message) = await server.Handler.NextMessageAsync();
        Assert.Equal("back", Encoding.UTF8.GetString(message));
    }

    [Fact]
    public async Task Client_reconnects_by_itself_after_a_server_restart_on_the_same_port()
    {
        var first = await ServerFixture.StartAsync(o =>
        {
            o.GoAwayRetryAfter = TimeSpan.FromMilliseconds(50);
            o.GoAwayRetryJitter = TimeSpan.Zero;
        });
        var port = first.EndPoint.Port;
        await using var client = new TetherClient(ClientFactory.Options(first.EndPoint));
        var states = new StateRecorder(client);
        await client.ConnectAsync();
        await first.DisposeAsync();
        await states.WaitForAsync(ClientState.Reconnecting);

        await using var second = await ServerFixture.StartAsync(port: port);
        await states.WaitForAsync(ClientState.Connected, 2);
        await second.Handler.NextConnectedAsync();

        await client.SendAsync("again"u8.ToArray());
        var (_, message) = await second.Handler.NextMessageAsync();
        Assert.Equal("again", Encoding.UTF8.GetString(message));
    }

    [Fact]
    public async Task Client_reconnects_after_the_connection_is_reset()
    {
        await using var setup = await ProxiedClient.ConnectAsync();
        var (proxy, states) = (setup.Proxy, setup.States);

        proxy.RefuseNewConnections(true);
        Assert.Equal(1, proxy.ResetAll());
        await states.WaitForAsync(ClientState.Reconnecting, 2);
        Assert.Equal(DisconnectReason.ConnectionLost, states.Events.First(e => e.Current == ClientState.Reconnecting).Disconnect?.Reason);

        proxy.RefuseNewConnections(false);
        await states.WaitForAsync(ClientState.Connected, 2);
    }

    [Fact]
    public async Task Client_honours_the_goaway_retry_after()
    {
        await using var server = await ServerFixture.StartAsync(o =>
        {
            o.GoAwayRetryAfter = TimeSpan.FromSeconds(2);
            o.GoAwayRetryJitter = TimeSpan.Zero;
            o.ShutdownDrainTimeout = TimeSpan.FromSeconds(10);
        });
        await using var client = new TetherClient(ClientFactory.Options(server.EndPoint));
        var states = new StateRecorder(client);
        await client.ConnectAsync();

        var stop = server.Server.StopAsync();
        await states.WaitForAsync(ClientState.Reconnecting);
        var reconnecting = states.Last(ClientState.Reconnecting)!;
        Assert.Equal(DisconnectReason.GoingAway, reconnecting.Disconnect?.Reason);
        Assert.True(reconnecting.Delay >= TimeSpan.FromSeconds(2), $"delay {reconnecting.Delay} is shorter than the retry-after hint");

        // The client left on GOAWAY, so the drain ends long before its timeout.
        await stop.WaitAsync(Timeouts.Event);
        var (_, info) = await server.Handler.NextDisconnectedAsync();
        Assert.True(info.Reason == DisconnectReason.ClosedByPeer, info.ToString());
    }

    [Fact]
    public async Task Client_gives_up_after_max_attempts_with_a_clear_error()
    {
        var closedPort = UnusedPort();
        var options = ClientFactory.Options(new IPEndPoint(IPAddress.Loopback, closedPort));
        options.Reconnect.MaxAttempts = 2;
        await using var client = new TetherClient(options);
        var states = new StateRecorder(client);

        var error = await Assert.ThrowsAsync<TetherException>(() => client.ConnectAsync());

        Assert.Contains("connection refused", error.Message, StringComparison.Ordinal);
        Assert.Contains("gave up after 2 attempts", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, states.Count(ClientState.Reconnecting));
        Assert.Equal(ClientState.Closed, client.State);
    }

    [Fact]
    public async Task Client_does_not_retry_an_unsupported_version()
    {
        using var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var refuse = RefuseWithAsync(listener, CloseCode.UnsupportedVersion);
        await using var client = new TetherClient(ClientFactory.Options(listener.LocalEndPoint!));
        var states = new StateRecorder(client);

        var error = await Assert.ThrowsAsync<TetherException>(() => client.ConnectAsync());

        Assert.Equal(CloseCode.UnsupportedVersion, error.Code);
        Assert.Equal(0, states.Count(ClientState.Reconnecting));
        await refuse;
    }

    [Fact]
    public async Task Failover_moves_to_the_next_endpoint()
    {
        await using var server = await ServerFixture.StartAsync();
        var options = ClientFactory.Options(new IPEndPoint(IPAddress.Loopback, UnusedPort()), server.EndPoint);
        await using var client = new TetherClient(options);

        await client.ConnectAsync();

        Assert.Equal(server.EndPoint, client.ConnectedEndPoint);
    }

    [Fact]
    public async Task Without_a_session_send_while_reconnecting_waits_for_the_connection_then_goes_out()
    {
        await using var setup = await ProxiedClient.ConnectAsync(o => o.Sessions.Enabled = false);
        var (server, proxy, client, states) = (setup.Server, setup.Proxy, setup.Client, setup.States);
        proxy.RefuseNewConnections(true);
        proxy.ResetAll();
        await states.WaitForAsync(ClientState.Reconnecting);

        var send = client.SendAsync("queued"u8.ToArray()).AsTask();
        Assert.False(send.IsCompleted);
        proxy.RefuseNewConnections(false);
        await send.WaitAsync(Timeouts.Event);

        var (_, message) = await server.Handler.NextMessageAsync();
        Assert.Equal("queued", Encoding.UTF8.GetString(message));
    }

    [Fact]
    public async Task With_a_session_send_while_reconnecting_is_accepted_at_once_and_delivered_on_resume()
    {
        await using var setup = await ProxiedClient.ConnectAsync();
        var (server, proxy, client, states) = (setup.Server, setup.Proxy, setup.Client, setup.States);
        proxy.RefuseNewConnections(true);
        proxy.ResetAll();
        await states.WaitForAsync(ClientState.Reconnecting);

        await client.SendAsync("queued"u8.ToArray()).AsTask().WaitAsync(Timeouts.Event);
        Assert.Equal(1, client.UnacknowledgedMessages);
        proxy.RefuseNewConnections(false);

        var (_, message) = await server.Handler.NextMessageAsync();
        Assert.Equal("queued", Encoding.UTF8.GetString(message));
    }

    [Fact]
    public async Task Send_while_disconnected_fails_after_the_bounded_wait()
    {
        var options = ClientFactory.Options(new IPEndPoint(IPAddress.Loopback, UnusedPort()));
        options.DisconnectedSendTimeout = TimeSpan.FromMilliseconds(200);
        await using var client = new TetherClient(options);
        _ = client.ConnectAsync();

        var error = await Assert.ThrowsAsync<TetherException>(async () => await client.SendAsync("lost?"u8.ToArray()));

        Assert.Contains("was not sent", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_attempt_count_resets_only_after_a_stable_connection(bool stable)
    {
        var time = new FakeTimeProvider();
        await using var setup = await ProxiedClient.ConnectAsync(o => o.Reconnect.StableAfter = TimeSpan.FromSeconds(30), time);
        var (proxy, states) = (setup.Proxy, setup.States);
        var stableAfter = TimeSpan.FromSeconds(30);

        // Three failed attempts in a row: each waits its announced delay in fake time, then is refused.
        proxy.RefuseNewConnections(true);
        proxy.ResetAll();
        for (var failed = 1; failed <= 3; failed++)
        {
            await states.WaitForAsync(ClientState.Reconnecting, failed);
            if (failed < 3)
            {
                time.Advance(PastDelay(states.Last(ClientState.Reconnecting)!));
            }
        }

        proxy.RefuseNewConnections(false);
        time.Advance(PastDelay(states.Last(ClientState.Reconnecting)!));
        await states.WaitForAsync(ClientState.Connected, 2);
        var attemptsSoFar = states.Events.Where(e => e.Current == ClientState.Reconnecting).Max(e => e.Attempt);
        Assert.Equal(3, attemptsSoFar);
        if (stable)
        {
            time.Advance(stableAfter);
        }

        // ...then the next loss starts from attempt 1 only if the connection in between counted as stable.
        proxy.ResetAll();
        await states.WaitForAsync(ClientState.Reconnecting, attemptsSoFar + 1);
        var next = states.Events.Where(e => e.Current == ClientState.Reconnecting).Last();
        Assert.Equal(stable ? 1 : attemptsSoFar + 1, next.Attempt);
    }

    [Fact]
    public async Task A_closed_client_cannot_be_started_again()
    {
        var client = new TetherClient(ClientFactory.Options(new IPEndPoint(IPAddress.Loopback, UnusedPort())));
        await client.DisposeAsync();

        await Assert.ThrowsAsync<TetherException>(() => client.ConnectAsync());
        Assert.Equal(ClientState.Closed, client.State);
    }

    private static async Task RefuseWithAsync(Socket listener, CloseCode code)
    {
        using var socket = await listener.AcceptAsync().WaitAsync(Timeouts.Event);
        var buffer = new byte[8192];
        _ = await socket.ReceiveAsync(buffer);
        var writer = new System.Buffers.ArrayBufferWriter<byte>();
        new CloseFrame { Code = code, Reason = "server supports versions 7-7" }.Write(writer);
        await socket.SendAsync(writer.WrittenMemory);
        socket.Shutdown(SocketShutdown.Send);
    }

    /// <summary>Fake time to move for the announced reconnect delay to pass: timers count in whole milliseconds.</summary>
    private static TimeSpan PastDelay(ClientStateChangedEventArgs reconnecting) =>
        TimeSpan.FromMilliseconds(Math.Ceiling(reconnecting.Delay.TotalMilliseconds) + 1);

    private static int UnusedPort()
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
