using Microsoft.Extensions.Time.Testing;
using Tether.Protocol;
using Tether.Tests.Support;

namespace Tether.Tests.Server;

public sealed class LivenessTests
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);

    [Fact]
    public async Task Server_drops_a_silent_peer_within_timeout_plus_one_tick()
    {
        var time = new FakeTimeProvider();
        await using var server = await ServerFixture.StartAsync(o => o.Heartbeat.TickInterval = Tick, time);
        var (peer, welcome) = await RawPeer.HandshakeAsync(server.EndPoint, new HelloFrame { HeartbeatIntervalMs = 1000, HeartbeatTimeoutMs = 3000 });
        await using var _ = peer;
        Assert.Equal(3000u, welcome.HeartbeatTimeoutMs);
        var connection = await server.Handler.NextConnectedAsync();

        // Just before the timeout the peer (which never answers) is still considered alive.
        for (var elapsed = TimeSpan.Zero; elapsed < TimeSpan.FromSeconds(3) - Tick; elapsed += Tick)
        {
            time.Advance(Tick);
            server.Server.Wheel.Advance();
        }

        Assert.Null(connection.DisconnectInfo);

        // One timeout plus one tick after the last byte it sent, it is gone.
        time.Advance(Tick + Tick);
        server.Server.Wheel.Advance();
        Assert.Equal(DisconnectReason.HeartbeatTimeout, connection.DisconnectInfo?.Reason);

        var (closed, info) = await server.Handler.NextDisconnectedAsync();
        Assert.Same(connection, closed);
        Assert.Equal(CloseCode.HeartbeatTimeout, info.Code);
        var close = await peer.ReadUntilCloseAsync();
        Assert.Equal(CloseCode.HeartbeatTimeout, close?.Code);
        Assert.Empty(server.Server.Connections);
    }

    [Fact]
    public async Task After_a_heartbeat_timeout_the_server_closes_at_once_without_lingering()
    {
        var time = new FakeTimeProvider();
        await using var server = await ServerFixture.StartAsync(
            o =>
            {
                o.Heartbeat.TickInterval = Tick;
                o.CloseLinger = TimeSpan.FromMinutes(5);
            },
            time);
        var (peer, _) = await RawPeer.HandshakeAsync(server.EndPoint, new HelloFrame { HeartbeatIntervalMs = 1000, HeartbeatTimeoutMs = 1500 });
        await using var _ = peer;
        var connection = await server.Handler.NextConnectedAsync();

        time.AdvanceWithWheel(server.Server, TimeSpan.FromMilliseconds(1500) + Tick, Tick);

        // The peer never closes its side, and the linger (5 min) never passes: the server is gone anyway.
        Assert.Equal(CloseCode.HeartbeatTimeout, (await peer.ReadUntilCloseAsync())?.Code);
        Assert.True((await peer.ReadFrameOrEndAsync()).IsEndOfStream);
        var (closed, info) = await server.Handler.NextDisconnectedAsync();
        Assert.Same(connection, closed);
        Assert.Equal(DisconnectReason.HeartbeatTimeout, info.Reason);
    }

    [Fact]
    public async Task A_peer_trickling_the_bytes_of_a_frame_it_never_finishes_is_dropped_like_a_silent_one()
    {
        var time = new FakeTimeProvider();
        await using var server = await ServerFixture.StartAsync(o => o.Heartbeat.TickInterval = Tick, time);
        var (peer, _) = await RawPeer.HandshakeAsync(server.EndPoint, new HelloFrame { HeartbeatIntervalMs = 1000, HeartbeatTimeoutMs = 3000 });
        await using var __ = peer;
        var connection = await server.Handler.NextConnectedAsync();

        // A DATA header announcing 1000 bytes, then one byte per tick: bytes keep coming, a frame never completes.
        await peer.SendRawAsync(new byte[] { 0x03, 0x00, 0x00, 0x00, 0x03, 0xE8 });
        for (var elapsed = TimeSpan.Zero; elapsed < TimeSpan.FromSeconds(4) && connection.DisconnectInfo is null; elapsed += Tick)
        {
            await peer.SendRawAsync(new byte[] { 0x2A });
            await Eventually.WaitUntilAsync(() => connection.Transport.HoldsReceiveBuffer);
            time.Advance(Tick);
            server.Server.Wheel.Advance();
        }

        Assert.Equal(DisconnectReason.HeartbeatTimeout, connection.DisconnectInfo?.Reason);
    }

    [Fact]
    public async Task Server_pings_an_idle_peer_and_a_peer_that_answers_stays_up()
    {
        var time = new FakeTimeProvider();
        await using var server = await ServerFixture.StartAsync(o => o.Heartbeat.TickInterval = Tick, time);
        var (peer, _) = await RawPeer.HandshakeAsync(server.EndPoint, new HelloFrame { HeartbeatIntervalMs = 1000, HeartbeatTimeoutMs = 3000 });
        await using var __ = peer;
        var connection = await server.Handler.NextConnectedAsync();

        // Thirty intervals: every server PING is answered, so the connection must survive ten timeouts' worth of time.
        for (var i = 0; i < 30; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            server.Server.Wheel.Advance();
            var frame = await peer.ReadFrameAsync();
            Assert.Equal(FrameType.Ping, frame.Type);
            await peer.SendAsync(w => FrameWriter.WritePong(w, frame.ToFrame().ReadUInt64Body()));
            await Eventually.WaitUntilAsync(() => connection.LastReceivedTimestamp == time.GetTimestamp(), "the PONG");
        }

        Assert.Null(connection.DisconnectInfo);
        Assert.Equal(Tether.Server.ConnectionState.Open, connection.State);
    }

    [Fact]
    public async Task Handshake_must_complete_within_the_handshake_timeout()
    {
        var time = new FakeTimeProvider();
        await using var server = await ServerFixture.StartAsync(o => o.HandshakeTimeout = TimeSpan.FromSeconds(5), time);
        await using var peer = await RawPeer.ConnectAsync(server.EndPoint);
        await Eventually.WaitUntilAsync(() => server.Server.Connections.Count == 1, "the connection");

        time.Advance(TimeSpan.FromSeconds(4));
        server.Server.Wheel.Advance();
        Assert.Single(server.Server.Connections);

        time.Advance(TimeSpan.FromSeconds(1.5));
        server.Server.Wheel.Advance();
        var close = await peer.ReadUntilCloseAsync();
        Assert.Equal(CloseCode.HandshakeTimeout, close?.Code);
    }

    [Fact]
    public async Task An_idle_connection_holds_no_receive_buffer()
    {
        await using var server = await ServerFixture.StartAsync();
        var (peer, _) = await RawPeer.HandshakeAsync(server.EndPoint);
        await using var _ = peer;
        var connection = await server.Handler.NextConnectedAsync();

        await peer.SendAsync(w => FrameWriter.WriteData(w, "ping-pong"u8));
        await server.Handler.NextMessageAsync();
        Assert.Equal(FrameType.Data, (await peer.ReadFrameAsync()).Type);

        await Eventually.WaitUntilAsync(() => !connection.Transport.HoldsReceiveBuffer, "the buffer's return");
        Assert.False(connection.Transport.HoldsReceiveBuffer);
    }
}
