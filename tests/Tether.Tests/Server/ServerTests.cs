using System.Text;
using Microsoft.Extensions.Time.Testing;
using Tether.Client;
using Tether.Protocol;
using Tether.Tests.Support;
using Tether.Transport;

namespace Tether.Tests.Server;

public sealed class ServerTests
{
    [Fact]
    public async Task Broadcast_reaches_every_open_connection()
    {
        await using var server = await ServerFixture.StartAsync(handler: new RecordingHandler { Echo = false });
        var peers = new List<RawPeer>();
        try
        {
            for (var i = 0; i < 20; i++)
            {
                peers.Add((await RawPeer.HandshakeAsync(server.EndPoint)).Peer);
                await server.Handler.NextConnectedAsync();
            }

            var delivered = server.Server.Broadcast("to everyone"u8);

            Assert.Equal(20, delivered);
            foreach (var peer in peers)
            {
                var frame = await peer.ReadFrameAsync();
                Assert.Equal(FrameType.Data, frame.Type);
                Assert.Equal("to everyone", Encoding.UTF8.GetString(frame.Body));
            }
        }
        finally
        {
            foreach (var peer in peers)
            {
                await peer.DisposeAsync();
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(int.MaxValue)]
    public async Task Broadcast_from_one_or_two_threads_gives_every_peer_every_message_once_and_in_order(int parallelFrom)
    {
        await using var server = await ServerFixture.StartAsync(handler: new RecordingHandler { Echo = false });
        server.Server.ParallelBroadcastThreshold = parallelFrom;
        var peers = new List<(RawPeer Peer, bool Session)>();
        try
        {
            for (var i = 0; i < 40; i++)
            {
                var session = i % 2 == 0;
                peers.Add(((await RawPeer.HandshakeAsync(server.EndPoint, new HelloFrame { RequestSession = session })).Peer, session));
                await server.Handler.NextConnectedAsync();
            }

            for (var m = 0; m < 5; m++)
            {
                Assert.Equal(40, server.Server.Broadcast(Encoding.UTF8.GetBytes($"m{m}")));
            }

            foreach (var (peer, session) in peers)
            {
                for (var m = 0; m < 5; m++)
                {
                    var frame = await peer.ReadFrameAsync();
                    Assert.Equal(FrameType.Data, frame.Type);
                    var data = DataFrame.Parse(frame.ToFrame());
                    Assert.Equal($"m{m}", Encoding.UTF8.GetString(System.Buffers.BuffersExtensions.ToArray(data.Payload)));
                    Assert.Equal(session ? (ulong)(m + 1) : 0UL, data.Sequence);
                }
            }
        }
        finally
        {
            foreach (var (peer, _) in peers)
            {
                await peer.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Broadcast_skips_peers_that_cannot_take_the_frame_and_says_so_in_its_count()
    {
        await using var server = await ServerFixture.StartAsync(handler: new RecordingHandler { Echo = false });
        var (small, _) = await RawPeer.HandshakeAsync(server.EndPoint, new HelloFrame { MaxFrameSize = 1024 });
        var (large, _) = await RawPeer.HandshakeAsync(server.EndPoint);
        await using var s = small;
        await using var l = large;
        await server.Handler.NextConnectedAsync();
        await server.Handler.NextConnectedAsync();

        var delivered = server.Server.Broadcast(new byte[2000]);

        Assert.Equal(1, delivered);
        Assert.Equal(2000, (await large.ReadFrameAsync()).Body.Length);
    }

    [Fact]
    public async Task Send_to_a_client_id_reaches_only_that_client()
    {
        await using var server = await ServerFixture.StartAsync(handler: new RecordingHandler { Echo = false });
        var (alice, _) = await RawPeer.HandshakeAsync(server.EndPoint, new HelloFrame { ClientId = "alice" });
        var (bob, _) = await RawPeer.HandshakeAsync(server.EndPoint, new HelloFrame { ClientId = "bob" });
        await using var a = alice;
        await using var b = bob;
        await server.Handler.NextConnectedAsync();
        await server.Handler.NextConnectedAsync();

        Assert.True(await server.Server.SendToClientAsync("bob", "psst"u8.ToArray()));
        Assert.False(await server.Server.SendToClientAsync("carol", "nobody"u8.ToArray()));
        server.Server.Broadcast("marker"u8);

        Assert.Equal("psst", Encoding.UTF8.GetString((await bob.ReadFrameAsync()).Body));
        Assert.Equal("marker", Encoding.UTF8.GetString((await alice.ReadFrameAsync()).Body));
    }

    [Fact]
    public async Task A_newer_connection_with_the_same_client_id_replaces_the_older_one()
    {
        await using var server = await ServerFixture.StartAsync();
        await using var first = new TetherClient(WithId(ClientFactory.Options(server.EndPoint), "device-7"));
        var firstStates = new StateRecorder(first);
        await first.ConnectAsync();
        var older = await server.Handler.NextConnectedAsync();

        await using var second = new TetherClient(WithId(ClientFactory.Options(server.EndPoint), "device-7"));
        await second.ConnectAsync();
        var newer = await server.Handler.NextConnectedAsync();

        var (gone, info) = await server.Handler.NextDisconnectedAsync();
        Assert.Same(older, gone);
        Assert.Equal(DisconnectReason.Replaced, info.Reason);
        Assert.True(server.Server.Connections.TryGetByClientId("device-7", out var holder));
        Assert.Same(newer, holder);

        // REPLACED cannot heal by retrying: the older client closes for good instead of fighting back.
        await firstStates.WaitForAsync(ClientState.Closed);
        Assert.Equal(CloseCode.Replaced, firstStates.Last(ClientState.Closed)!.Disconnect?.Code);
    }

    [Fact]
    public async Task An_oversized_frame_closes_only_its_own_connection()
    {
        await using var server = await ServerFixture.StartAsync(o => o.MaxFrameSize = 4096);
        await using var client = new TetherClient(ClientFactory.Options(server.EndPoint));
        await client.ConnectAsync();
        await server.Handler.NextConnectedAsync();
        var (bad, _) = await RawPeer.HandshakeAsync(server.EndPoint);
        await using var __ = bad;
        await server.Handler.NextConnectedAsync();

        // Only a header announcing 1 GiB: rejected before any body is read or allocated.
        var header = new byte[ProtocolConstants.HeaderSize];
        new FrameHeader(FrameType.Data, 0, 1 << 30).Write(header);
        await bad.SendRawAsync(header);

        var close = await bad.ReadUntilCloseAsync();
        Assert.Equal(CloseCode.FrameTooLarge, close?.Code);
        var (_, info) = await server.Handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.ProtocolError, info.Reason);

        await client.SendAsync("still fine"u8.ToArray());
        await using var messages = client.ReadAllAsync().GetAsyncEnumerator();
        Assert.True(await messages.MoveNextAsync().AsTask().WaitAsync(Timeouts.Event));
        Assert.Equal("still fine", Encoding.UTF8.GetString(messages.Current.Span));
    }

    [Fact]
    public async Task Garbage_instead_of_hello_gets_a_protocol_error()
    {
        await using var server = await ServerFixture.StartAsync();
        await using var peer = await RawPeer.ConnectAsync(server.EndPoint);

        await peer.SendRawAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());

        var close = await peer.ReadUntilCloseAsync();
        Assert.True(close?.Code is CloseCode.ProtocolError or CloseCode.FrameTooLarge, $"got {close?.Code}");
    }

    [Theory]
    [InlineData(new byte[] { 0x03, 0x00, 0x00, 0x00, 0x00, 0x10 })]
    [InlineData(new byte[] { 0x05, 0x00, 0x00, 0x00, 0x00, 0x08 })]
    [InlineData(new byte[] { 0x40, 0x00, 0x00, 0x00, 0x00, 0x10 })]
    public async Task A_first_frame_that_is_not_hello_is_refused_from_its_header_without_waiting_for_its_body(byte[] header)
    {
        // Fake time never moves, so only the header itself can bring the close (not the handshake timeout).
        await using var server = await ServerFixture.StartAsync(time: new Microsoft.Extensions.Time.Testing.FakeTimeProvider());
        await using var peer = await RawPeer.ConnectAsync(server.EndPoint);

        await peer.SendRawAsync(header);

        var close = await peer.ReadUntilCloseAsync();
        Assert.Equal(CloseCode.ProtocolError, close?.Code);
        Assert.Contains("expected HELLO", close!.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unsupported_version_is_refused_with_its_code()
    {
        await using var server = await ServerFixture.StartAsync();
        await using var peer = await RawPeer.ConnectAsync(server.EndPoint);

        await peer.SendAsync(w => new HelloFrame { MinVersion = 9, MaxVersion = 9 }.Write(w));

        var close = await peer.ReadUntilCloseAsync();
        Assert.Equal(CloseCode.UnsupportedVersion, close?.Code);
        Assert.Contains("1-1", close!.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Graceful_stop_closes_clients_that_ignore_goaway_after_the_drain()
    {
        await using var server = await ServerFixture.StartAsync(o => o.ShutdownDrainTimeout = TimeSpan.FromMilliseconds(300));
        var (stubborn, _) = await RawPeer.HandshakeAsync(server.EndPoint);
        await using var _ = stubborn;
        await server.Handler.NextConnectedAsync();

        var stop = server.Server.StopAsync();

        var goAway = await stubborn.ReadFrameAsync();
        Assert.Equal(FrameType.GoAway, goAway.Type);
        var parsed = GoAwayFrame.Parse(goAway.ToFrame());
        Assert.InRange(parsed.RetryAfterMs, 500u, 5500u);
        var close = await stubborn.ReadUntilCloseAsync();
        Assert.Equal(CloseCode.GoingAway, close?.Code);
        await stop.WaitAsync(Timeouts.Event);
        var (__, info) = await server.Handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.GoingAway, info.Reason);
    }

    [Fact]
    public async Task A_handshake_that_completes_during_a_stop_is_turned_away_with_going_away()
    {
        await using var server = await ServerFixture.StartAsync(o => o.ShutdownDrainTimeout = TimeSpan.FromSeconds(5));
        await using var late = await RawPeer.ConnectAsync(server.EndPoint);
        await Eventually.WaitUntilAsync(() => server.Server.Connections.Count == 1);

        var stop = server.Server.StopAsync();
        await late.SendAsync(w => new HelloFrame().Write(w));

        var close = await late.ReadUntilCloseAsync();
        Assert.Equal(CloseCode.GoingAway, close?.Code);
        Assert.True(close!.RetryAfterMs >= 500, "the refusal carries the jittered retry-after hint");
        await late.DisposeAsync();
        await stop.WaitAsync(Timeouts.Event);
    }

    [Fact]
    public async Task Stop_refuses_new_connections_and_the_port_is_released()
    {
        var fixture = await ServerFixture.StartAsync();
        var endPoint = fixture.EndPoint;
        await fixture.Server.StopAsync();
        await fixture.DisposeAsync();

        await using var again = await ServerFixture.StartAsync(port: endPoint.Port);
        Assert.Equal(endPoint.Port, again.EndPoint.Port);
    }

    [Fact]
    public async Task Connections_over_the_limit_are_refused_with_too_many_connections()
    {
        await using var server = await ServerFixture.StartAsync(o => o.MaxConnections = 1);
        var (first, _) = await RawPeer.HandshakeAsync(server.EndPoint);
        await using var __ = first;

        await using var second = await RawPeer.ConnectAsync(server.EndPoint);
        var close = await second.ReadUntilCloseAsync();

        Assert.Equal(CloseCode.TooManyConnections, close?.Code);
        Assert.True(close!.RetryAfterMs > 0);
    }

    [Fact]
    public async Task Tcp_keepalive_and_user_timeout_are_applied_to_accepted_sockets()
    {
        await using var server = await ServerFixture.StartAsync(o => o.Tcp = new TcpOptions { UserTimeout = TimeSpan.FromSeconds(7) });
        var (peer, _) = await RawPeer.HandshakeAsync(server.EndPoint);
        await using var _ = peer;
        var connection = await server.Handler.NextConnectedAsync();
        var socket = connection.Transport.Socket;

        Assert.True(socket.NoDelay);
        Assert.Equal(1, (int)socket.GetSocketOption(System.Net.Sockets.SocketOptionLevel.Socket, System.Net.Sockets.SocketOptionName.KeepAlive)!);
        Assert.Equal(60, (int)socket.GetSocketOption(System.Net.Sockets.SocketOptionLevel.Tcp, System.Net.Sockets.SocketOptionName.TcpKeepAliveTime)!);
        if (OperatingSystem.IsLinux())
        {
            Assert.Equal(7000, SocketTuning.ReadUserTimeoutMs(socket));
        }
    }

    [Fact]
    public async Task Idle_client_and_server_stay_connected_across_many_heartbeat_intervals()
    {
        var time = new FakeTimeProvider();
        await using var server = await ServerFixture.StartAsync(o => o.Heartbeat.TickInterval = TimeSpan.FromMilliseconds(250), time);
        using var serverMetrics = new MetricRecorder(server.Server.Metrics.Meter, "none");
        var options = ClientFactory.Options(server.EndPoint);
        options.HeartbeatInterval = TimeSpan.FromSeconds(1);
        options.HeartbeatTimeout = TimeSpan.FromSeconds(3);
        await using var client = new TetherClient(options, null, time);
        var clientRoundTrips = 0;
        client.RoundTripTimeMeasured += (_, _) => Interlocked.Increment(ref clientRoundTrips);
        var states = new StateRecorder(client);
        await client.ConnectAsync();
        var connection = await server.Handler.NextConnectedAsync();

        // Whichever side pings first makes the other side's answer count as sent, so in each interval only one side
        // measures a round trip. In fake time both sides are due at the same instant and which one leads is a race of
        // threads, so an exchange is counted on either side: a PONG the client or the server received.
        long Exchanges() => Volatile.Read(ref clientRoundTrips) + serverMetrics.Sum("tether.heartbeat.pongs_received");

        // Thirty intervals (ten timeouts) of an idle link: every one of them is bridged by a PING/PONG exchange. Each
        // step moves fake time by an interval and a tick, so that at least the server is due to ping (its wheel runs on
        // this thread), then awaits that step's exchange with the clock standing still: no timeout can pass while the
        // sockets work.
        for (var i = 1; i <= 30; i++)
        {
            var before = Exchanges();
            time.AdvanceWithWheel(server.Server, TimeSpan.FromMilliseconds(1250), TimeSpan.FromMilliseconds(1250));
            await Eventually.WaitUntilAsync(() => Exchanges() > before, $"heartbeat exchange {i}");
        }

        Assert.Equal(ClientState.Connected, client.State);
        Assert.Equal(1, states.Count(ClientState.Connected));
        Assert.Null(connection.DisconnectInfo);
        Assert.NotNull(client.RoundTripTime);
    }

    private static TetherClientOptions WithId(TetherClientOptions options, string clientId)
    {
        options.ClientId = clientId;
        return options;
    }
}
