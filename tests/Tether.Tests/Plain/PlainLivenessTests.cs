using System.Buffers.Binary;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Tether.Framing;
using Tether.Heartbeat;
using Tether.Protocol;
using Tether.Server;
using Tether.Tests.Support;

namespace Tether.Tests.Plain;

/// <summary>
/// Plain liveness on a fake clock: the server's timing wheel is driven by hand (advance the clock, then visit the
/// wheel), so deadlines are exact and no test waits real seconds; only the socket I/O runs in real time.
/// </summary>
public sealed class PlainLivenessTests
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(3);

    [Theory]
    [InlineData(Wire.Lines)]
    [InlineData(Wire.Prefix16)]
    [InlineData(Wire.Prefix32)]
    [InlineData(Wire.Raw)]
    public async Task A_silent_peer_is_dropped_after_the_idle_timeout_while_one_trickling_bytes_stays_up(Wire wire)
    {
        var time = new FakeTimeProvider();

        // No idle timeout on the listener: it defaults to the server's heartbeat timeout.
        var (server, endPoint) = await PlainWire.StartAsync(
            PlainWire.Framing(wire),
            server: o => o.Heartbeat = new HeartbeatOptions { Interval = TimeSpan.FromSeconds(1), Timeout = IdleTimeout, TickInterval = Tick },
            time: time,
            handler: new RecordingHandler { Echo = false });
        await using var _ = server;
        using var metrics = new MetricRecorder(server.Server.Metrics.Meter, "reason");
        await using var silent = await PlainPeer.ConnectAsync(endPoint);
        var silentConnection = await server.Handler.NextConnectedAsync();
        await using var trickler = await PlainPeer.ConnectAsync(endPoint);
        var tricklingConnection = await server.Handler.NextConnectedAsync();
        Assert.Equal(new HeartbeatSettings(TimeSpan.Zero, IdleTimeout), silentConnection.Heartbeat);

        // The trickler never completes a message where the framing has one (a line without its newline, a payload
        // short of its announced length): bytes prove it alive, messages are not needed.
        var opening = wire switch
        {
            Wire.Prefix16 => new byte[] { 0, 100 },
            Wire.Prefix32 => new byte[] { 0, 0, 0, 100 },
            _ => Array.Empty<byte>(),
        };
        if (opening.Length > 0)
        {
            await trickler.SendAsync(opening);
            await Eventually.WaitUntilAsync(() => tricklingConnection.Transport.HoldsReceiveBuffer);
        }

        var step = TimeSpan.FromMilliseconds(500);
        TimeSpan? silentDroppedAt = null;
        for (var elapsed = step; elapsed <= IdleTimeout * 2; elapsed += step)
        {
            time.Advance(step);
            server.Server.Wheel.Advance();
            if (silentConnection.DisconnectInfo is not null)
            {
                silentDroppedAt ??= elapsed;
            }

            Assert.Null(tricklingConnection.DisconnectInfo);
            await trickler.SendAsync("z"u8.ToArray());
            await Eventually.WaitUntilAsync(() => tricklingConnection.LastReceivedTimestamp == time.GetTimestamp());
        }

        // Dropped on the first visit of the wheel at or after the deadline, and not a moment before.
        Assert.Equal(IdleTimeout, silentDroppedAt);
        if (wire == Wire.Lines)
        {
            Assert.Equal("CLOSE HEARTBEAT_TIMEOUT heartbeat timeout", await silent.ReadLineAsync());
        }

        await silent.ExpectEndOfStreamAsync();
        var (closed, info) = await server.Handler.NextDisconnectedAsync();
        Assert.Same(silentConnection, closed);
        Assert.Equal(DisconnectReason.HeartbeatTimeout, info.Reason);
        Assert.Equal(CloseCode.HeartbeatTimeout, info.Code);
        Assert.Equal(1, metrics.Sum("tether.heartbeat.timeouts"));
        Assert.Equal(1, metrics.Sum("tether.connections.closed", "heartbeat-timeout"));
        Assert.Equal(ConnectionState.Open, tricklingConnection.State);
        Assert.Single(server.Server.Connections);
    }

    [Fact]
    public async Task A_lines_probe_goes_out_after_each_interval_of_silence_and_answering_it_keeps_the_peer_alive()
    {
        var time = new FakeTimeProvider();
        var (server, endPoint) = await PlainWire.StartAsync(
            new LineFraming(),
            listener: l =>
            {
                l.IdleTimeout = IdleTimeout;
                l.ProbeInterval = TimeSpan.FromSeconds(1);
                l.Probe = "PING"u8.ToArray();
                l.WithLinePingPong();
            },
            server: o => o.Heartbeat.TickInterval = Tick,
            time: time,
            handler: new RecordingHandler { Echo = false });
        await using var _ = server;
        using var metrics = new MetricRecorder(server.Server.Metrics.Meter, "reason");
        await using var peer = await PlainPeer.ConnectAsync(endPoint);
        var connection = await server.Handler.NextConnectedAsync();
        Assert.Equal(new HeartbeatSettings(TimeSpan.FromSeconds(1), IdleTimeout), connection.Heartbeat);
        var wheel = server.Server.Wheel;
        long Probes() => metrics.Sum("tether.heartbeat.pings_sent");

        // Ten intervals, more than three idle timeouts: every probe comes exactly one interval after the last answer,
        // and answering it is all the peer has to do.
        for (var round = 1; round <= 10; round++)
        {
            for (var i = 0; i < 3; i++)
            {
                time.Advance(Tick);
                wheel.Advance();
            }

            Assert.Equal(round - 1, Probes());
            time.Advance(Tick);
            wheel.Advance();
            Assert.Equal(round, Probes());

            Assert.Equal("PING", await peer.ReadLineAsync());
            await peer.SendTextAsync("PONG\n");
            await Eventually.WaitUntilAsync(() => connection.LastReceivedTimestamp == time.GetTimestamp());
        }

        Assert.Null(connection.DisconnectInfo);
        Assert.Equal(10, metrics.Sum("tether.heartbeat.pongs_received"));

        // A peer's own PING is answered at once, without any help from the clock.
        await peer.SendTextAsync("PING\r\n");
        Assert.Equal("PONG", await peer.ReadLineAsync());

        // The first message the handler sees is this one: none of the PONGs, nor the PING, were delivered.
        await peer.SendTextAsync("hello\n");
        Assert.Equal("hello", Encoding.UTF8.GetString((await server.Handler.NextMessageAsync()).Message));

        // A peer that stops answering gets two more probes and is dropped one idle timeout after its last byte.
        var silence = TimeSpan.Zero;
        while (connection.DisconnectInfo is null)
        {
            Assert.True(silence < IdleTimeout * 2, "the silent peer was never dropped");
            time.Advance(Tick);
            wheel.Advance();
            silence += Tick;
        }

        Assert.Equal(IdleTimeout, silence);
        Assert.Equal("PING", await peer.ReadLineAsync());
        Assert.Equal("PING", await peer.ReadLineAsync());
        Assert.Equal("CLOSE HEARTBEAT_TIMEOUT heartbeat timeout", await peer.ReadLineAsync());
        await peer.ExpectEndOfStreamAsync();
        var (_, info) = await server.Handler.NextDisconnectedAsync();
        Assert.Equal(DisconnectReason.HeartbeatTimeout, info.Reason);
    }

    [Theory]
    [InlineData(Wire.Prefix16)]
    [InlineData(Wire.Prefix32)]
    public async Task A_probe_is_written_through_the_listeners_framing_at_the_servers_heartbeat_interval_by_default(Wire wire)
    {
        var time = new FakeTimeProvider();
        var (server, endPoint) = await PlainWire.StartAsync(
            PlainWire.Framing(wire),
            listener: l => l.Probe = new byte[] { 0xFE, 0xED },
            server: o => o.Heartbeat = new HeartbeatOptions { Interval = TimeSpan.FromSeconds(1), Timeout = IdleTimeout, TickInterval = Tick },
            time: time,
            handler: new RecordingHandler { Echo = false });
        await using var _ = server;
        await using var peer = await PlainPeer.ConnectAsync(endPoint);
        var connection = await server.Handler.NextConnectedAsync();
        Assert.Equal(new HeartbeatSettings(TimeSpan.FromSeconds(1), IdleTimeout), connection.Heartbeat);

        for (var elapsed = TimeSpan.Zero; elapsed < TimeSpan.FromSeconds(1); elapsed += Tick)
        {
            time.Advance(Tick);
            server.Server.Wheel.Advance();
        }

        var prefix = wire == Wire.Prefix16 ? 2 : 4;
        var header = await peer.ReadExactlyAsync(prefix);
        Assert.Equal(2u, prefix == 2 ? BinaryPrimitives.ReadUInt16BigEndian(header) : BinaryPrimitives.ReadUInt32BigEndian(header));
        Assert.Equal(new byte[] { 0xFE, 0xED }, await peer.ReadExactlyAsync(2));
    }
}
