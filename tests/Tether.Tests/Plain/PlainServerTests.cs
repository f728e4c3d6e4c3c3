using System.Net;
using System.Net.Sockets;
using System.Text;
using Tether.Client;
using Tether.Framing;
using Tether.Protocol;
using Tether.Server;
using Tether.Tests.Support;

namespace Tether.Tests.Plain;

/// <summary>Plain connections side by side with Tether protocol ones on the same server: stop, broadcast, client ids.</summary>
public sealed class PlainServerTests
{
    [Fact]
    public async Task Graceful_stop_closes_plain_peers_at_once_while_a_tether_peer_gets_goaway_and_may_drain()
    {
        var (server, endPoints) = await PlainWire.StartAsync(
            [new LineFraming(), new LengthPrefixedFraming()],
            handler: new RecordingHandler { Echo = false });
        await using var _ = server;
        var (tether, _) = await RawPeer.HandshakeAsync(server.EndPoint);
        await using var __ = tether;
        var tetherConnection = await server.Handler.NextConnectedAsync();
        await using var lines = await PlainPeer.ConnectAsync(endPoints[0]);
        var linesConnection = await server.Handler.NextConnectedAsync();
        await using var prefixed = await PlainPeer.ConnectAsync(endPoints[1]);
        var prefixedConnection = await server.Handler.NextConnectedAsync();

        // Queued just before the stop: a plain peer is closed at once, but only after what it was already sent.
        await linesConnection.SendAsync("last words"u8.ToArray());
        await prefixedConnection.SendAsync("last words"u8.ToArray());
        var stop = server.Server.StopAsync();

        Assert.Equal("last words", await lines.ReadLineAsync());
        Assert.Equal("CLOSE GOING_AWAY server shutting down", await lines.ReadLineAsync());
        await lines.ExpectEndOfStreamAsync();
        await prefixed.ExpectMessageAsync(Wire.Prefix32, "last words");
        await prefixed.ExpectEndOfStreamAsync();

        var gone = new[] { await server.Handler.NextDisconnectedAsync(), await server.Handler.NextDisconnectedAsync() };
        Assert.Equal(
            new[] { linesConnection.Id, prefixedConnection.Id }.Order(),
            gone.Select(d => d.Connection.Id).Order());
        Assert.All(gone, d => Assert.Equal(DisconnectReason.GoingAway, d.Info.Reason));
        Assert.All(gone, d => Assert.Equal(CloseCode.GoingAway, d.Info.Code));

        // The Tether peer was told to go away and, unlike the plain ones, is still connected within its drain time.
        var goAway = await tether.ReadFrameAsync();
        Assert.Equal(FrameType.GoAway, goAway.Type);
        Assert.InRange(GoAwayFrame.Parse(goAway.ToFrame()).RetryAfterMs, 500u, 5500u);
        Assert.Equal(ConnectionState.Open, tetherConnection.State);
        Assert.False(stop.IsCompleted);

        await tether.DisposeAsync();
        await stop.WaitAsync(Timeouts.Event);
        var (last, _) = await server.Handler.NextDisconnectedAsync();
        Assert.Same(tetherConnection, last);
    }

    [Fact]
    public async Task Broadcast_reaches_plain_and_tether_peers_at_once_each_in_its_own_framing()
    {
        var (server, endPoints) = await PlainWire.StartAsync(
            [new LineFraming(), new LengthPrefixedFraming(LengthPrefix.UInt16), RawFraming.Instance],
            handler: new RecordingHandler { Echo = false });
        await using var _ = server;
        using var metrics = new MetricRecorder(server.Server.Metrics.Meter, "limit");
        await using var client = new TetherClient(ClientFactory.Options(server.EndPoint));
        await client.ConnectAsync();
        await server.Handler.NextConnectedAsync();
        await using var messages = client.ReadAllAsync().GetAsyncEnumerator();
        await using var lines1 = await PlainPeer.ConnectAsync(endPoints[0]);
        await using var lines2 = await PlainPeer.ConnectAsync(endPoints[0]);
        await using var prefixed = await PlainPeer.ConnectAsync(endPoints[1]);
        await using var raw = await PlainPeer.ConnectAsync(endPoints[2]);
        for (var i = 0; i < 4; i++)
        {
            await server.Handler.NextConnectedAsync();
        }

        Assert.Equal(5, server.Server.Broadcast("news"u8));

        Assert.Equal("news", await lines1.ReadLineAsync());
        Assert.Equal("news", await lines2.ReadLineAsync());
        await prefixed.ExpectMessageAsync(Wire.Prefix16, "news");
        await raw.ExpectMessageAsync(Wire.Raw, "news");
        Assert.Equal("news", await NextAsync(messages));

        // A message one framing cannot carry skips that listener's peers (and says so) but still reaches the rest.
        Assert.Equal(3, server.Server.Broadcast("two\nlines"u8));
        Assert.Equal(2, metrics.Sum("tether.limits.rejected", "peer-max-frame-size"));
        Assert.Equal(5, server.Server.Broadcast("after"u8));

        Assert.Equal("after", await lines1.ReadLineAsync());
        Assert.Equal("after", await lines2.ReadLineAsync());
        await prefixed.ExpectMessageAsync(Wire.Prefix16, "two\nlines");
        await prefixed.ExpectMessageAsync(Wire.Prefix16, "after");
        await raw.ExpectMessageAsync(Wire.Raw, "two\nlinesafter");
        Assert.Equal("two\nlines", await NextAsync(messages));
        Assert.Equal("after", await NextAsync(messages));
    }

    [Fact]
    public async Task An_assigned_client_id_routes_sends_to_a_plain_peer_and_a_newer_holder_replaces_it()
    {
        var (server, endPoint) = await PlainWire.StartAsync(new LineFraming(), handler: new RecordingHandler { Echo = false });
        await using var _ = server;
        await using var first = await PlainPeer.ConnectAsync(endPoint);
        var firstConnection = await server.Handler.NextConnectedAsync();

        // The device says who it is in its own words; the application turns that into a client id.
        await first.SendTextAsync("HELLO dev-1\n");
        var (from, hello) = await server.Handler.NextMessageAsync();
        Assert.Equal("HELLO dev-1", Encoding.UTF8.GetString(hello));
        from.AssignClientId("dev-1");

        Assert.Equal("dev-1", firstConnection.ClientId);
        Assert.True(server.Server.Connections.TryGetByClientId("dev-1", out var holder));
        Assert.Same(firstConnection, holder);
        Assert.Throws<InvalidOperationException>(() => firstConnection.AssignClientId("dev-2"));
        Assert.True(await server.Server.SendToClientAsync("dev-1", "reboot"u8.ToArray()));
        Assert.False(await server.Server.SendToClientAsync("dev-9", "nobody"u8.ToArray()));
        Assert.Equal("reboot", await first.ReadLineAsync());

        await using var second = await PlainPeer.ConnectAsync(endPoint);
        var secondConnection = await server.Handler.NextConnectedAsync();
        secondConnection.AssignClientId("dev-1");

        Assert.Equal("CLOSE REPLACED replaced by a newer connection with the same client id", await first.ReadLineAsync());
        await first.ExpectEndOfStreamAsync();
        var (gone, info) = await server.Handler.NextDisconnectedAsync();
        Assert.Same(firstConnection, gone);
        Assert.Equal(DisconnectReason.Replaced, info.Reason);
        Assert.Equal(CloseCode.Replaced, info.Code);
        Assert.True(await server.Server.SendToClientAsync("dev-1", "again"u8.ToArray()));
        Assert.Equal("again", await second.ReadLineAsync());

        // The registry is shared: a Tether client presenting the same id in its HELLO replaces the plain holder too.
        var (tether, _) = await RawPeer.HandshakeAsync(server.EndPoint, new HelloFrame { ClientId = "dev-1" });
        await using var __ = tether;
        var tetherConnection = await server.Handler.NextConnectedAsync();
        Assert.Throws<InvalidOperationException>(() => tetherConnection.AssignClientId("dev-3"));
        Assert.Equal("CLOSE REPLACED replaced by a newer connection with the same client id", await second.ReadLineAsync());
        await second.ExpectEndOfStreamAsync();
        Assert.True(await server.Server.SendToClientAsync("dev-1", "hi"u8.ToArray()));
        Assert.Equal("hi", Encoding.UTF8.GetString((await tether.ReadFrameAsync()).Body));
    }

    [Fact]
    public async Task A_probe_the_framing_cannot_write_fails_the_start_and_leaves_the_port_free()
    {
        // A port known to be free a moment ago: the only way to see afterwards whether anything still holds it.
        int port;
        using (var free = new Socket(SocketType.Stream, ProtocolType.Tcp))
        {
            free.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)free.LocalEndPoint!).Port;
        }

        var options = new TetherServerOptions();
        options.Listen(new IPEndPoint(IPAddress.Loopback, port), new LineFraming()).Probe = "two\nlines"u8.ToArray();

        // Refused at construction or at start, either is fine; what matters is the message and that nothing is bound.
        var error = await Assert.ThrowsAsync<ArgumentException>(async () =>
        {
            await using var server = new TetherServer(options, new RecordingHandler());
            await server.StartAsync();
        });
        Assert.Contains("probe", error.Message, StringComparison.Ordinal);
        using var again = new Socket(SocketType.Stream, ProtocolType.Tcp);
        again.Bind(new IPEndPoint(IPAddress.Loopback, port));
    }

    private static async Task<string> NextAsync(IAsyncEnumerator<ReadOnlyMemory<byte>> messages)
    {
        Assert.True(await messages.MoveNextAsync().AsTask().WaitAsync(Timeouts.Event));
        return Encoding.UTF8.GetString(messages.Current.Span);
    }
}
