using System.Text;
using Tether.FaultProxy;
using Tether.Framing;
using Tether.Tests.Support;

namespace Tether.Tests.Plain;

public sealed class PlainRoundTripTests
{
    [Theory]
    [InlineData(Wire.Lines)]
    [InlineData(Wire.Prefix16)]
    [InlineData(Wire.Prefix32)]
    [InlineData(Wire.Raw)]
    public async Task A_message_is_delivered_to_the_handler_and_the_echo_comes_back_in_the_same_framing(Wire wire)
    {
        var framing = PlainWire.Framing(wire);
        var (server, endPoint) = await PlainWire.StartAsync(framing);
        await using var _ = server;
        using var metrics = new MetricRecorder(server.Server.Metrics.Meter, "framing");
        await using var peer = await PlainPeer.ConnectAsync(endPoint);

        // No handshake: the handler hears of the connection before the peer has sent a byte.
        var connection = await server.Handler.NextConnectedAsync();
        Assert.True(connection.IsPlain);
        Assert.Same(framing, connection.Listener.Framing);
        Assert.Null(connection.ClientId);
        Assert.Equal(1, metrics.Sum("tether.connections.accepted", framing.Name));

        await peer.SendAsync(PlainWire.Encode(wire, "hello, tether"));

        if (wire == Wire.Raw)
        {
            Assert.Equal("hello, tether", await server.Handler.ReceiveRawAsync(13));
        }
        else
        {
            var (from, message) = await server.Handler.NextMessageAsync();
            Assert.Same(connection, from);
            Assert.Equal("hello, tether", Encoding.UTF8.GetString(message));
        }

        await peer.ExpectMessageAsync(wire, "hello, tether");
    }

    [Theory]
    [InlineData(Wire.Lines)]
    [InlineData(Wire.Prefix16)]
    [InlineData(Wire.Prefix32)]
    public async Task Several_messages_in_one_write_are_delivered_one_by_one_in_order(Wire wire)
    {
        var (server, endPoint) = await PlainWire.StartAsync(PlainWire.Framing(wire));
        await using var _ = server;
        await using var peer = await PlainPeer.ConnectAsync(endPoint);
        await server.Handler.NextConnectedAsync();

        // The empty message is legal in both framings and the easiest one to lose at a boundary.
        string[] messages = ["one", string.Empty, "three", "four"];
        await peer.SendAsync(messages.SelectMany(m => PlainWire.Encode(wire, m)).ToArray());

        foreach (var expected in messages)
        {
            Assert.Equal(expected, Encoding.UTF8.GetString((await server.Handler.NextMessageAsync()).Message));
        }

        foreach (var expected in messages)
        {
            await peer.ExpectMessageAsync(wire, expected);
        }
    }

    [Theory]
    [InlineData(Wire.Lines)]
    [InlineData(Wire.Prefix16)]
    [InlineData(Wire.Prefix32)]
    [InlineData(Wire.Raw)]
    public async Task Messages_arriving_one_byte_at_a_time_are_reassembled(Wire wire)
    {
        var (server, endPoint) = await PlainWire.StartAsync(PlainWire.Framing(wire));
        await using var _ = server;

        // The proxy writes every byte on its own and pauses after it, so the server's reads really are one byte long
        // and every frame boundary (inside a length prefix, between '\r' and '\n') falls between two reads.
        await using var proxy = TcpFaultProxy.Start(endPoint);
        proxy.Slice(1, TimeSpan.FromMilliseconds(1), FaultDirection.ClientToServer);
        await using var peer = await PlainPeer.ConnectAsync(proxy.EndPoint);
        await server.Handler.NextConnectedAsync();

        var first = wire == Wire.Lines ? "sliced\r" : "sliced";
        await peer.SendAsync(PlainWire.Encode(wire, first).Concat(PlainWire.Encode(wire, "x")).ToArray());

        if (wire == Wire.Raw)
        {
            Assert.Equal("slicedx", await server.Handler.ReceiveRawAsync(7));
            await peer.ExpectMessageAsync(wire, "slicedx");
            return;
        }

        // For lines the '\r' before the '\n' is part of the ending, even when the two arrive in separate reads.
        Assert.Equal("sliced", Encoding.UTF8.GetString((await server.Handler.NextMessageAsync()).Message));
        Assert.Equal("x", Encoding.UTF8.GetString((await server.Handler.NextMessageAsync()).Message));
        await peer.ExpectMessageAsync(wire, "sliced");
        await peer.ExpectMessageAsync(wire, "x");
    }

    [Theory]
    [InlineData(Wire.Lines)]
    [InlineData(Wire.Prefix32)]
    public async Task A_peer_that_half_closes_after_its_request_still_reads_the_answer(Wire wire)
    {
        var (server, endPoint) = await PlainWire.StartAsync(PlainWire.Framing(wire));
        await using var _ = server;
        await using var peer = await PlainPeer.ConnectAsync(endPoint);
        var connection = await server.Handler.NextConnectedAsync();

        // The netcat way (nc -N): write the request, send FIN, read until the server is done.
        await peer.SendAsync(PlainWire.Encode(wire, "request"));
        peer.ShutdownSend();

        await peer.ExpectMessageAsync(wire, "request");
        await peer.ExpectEndOfStreamAsync();
        var (closed, info) = await server.Handler.NextDisconnectedAsync();
        Assert.Same(connection, closed);
        Assert.Equal(DisconnectReason.ClosedByPeer, info.Reason);
    }

    [Fact]
    public async Task Lines_end_with_lf_or_crlf_and_a_carriage_return_inside_a_line_is_kept()
    {
        var (server, endPoint) = await PlainWire.StartAsync(new LineFraming());
        await using var _ = server;
        await using var peer = await PlainPeer.ConnectAsync(endPoint);
        await server.Handler.NextConnectedAsync();

        await peer.SendTextAsync("crlf\r\nlf\n\r\nin\rside\ntail\r");
        await peer.SendTextAsync("\n");

        string[] expected = ["crlf", "lf", string.Empty, "in\rside", "tail"];
        foreach (var line in expected)
        {
            Assert.Equal(line, Encoding.UTF8.GetString((await server.Handler.NextMessageAsync()).Message));
        }

        // The server always answers with a bare '\n'.
        foreach (var line in expected)
        {
            Assert.Equal(line, await peer.ReadLineAsync());
        }
    }

    [Fact]
    public async Task Raw_hands_over_what_each_read_returned_and_keeps_every_byte_in_order()
    {
        var (server, endPoint) = await PlainWire.StartAsync(RawFraming.Instance);
        await using var _ = server;
        await using var peer = await PlainPeer.ConnectAsync(endPoint);
        await server.Handler.NextConnectedAsync();
        var payload = Enumerable.Range(0, 20_000).Select(i => (byte)('a' + (i % 26))).ToArray();

        await peer.SendAsync(payload);

        var received = new List<byte>();
        while (received.Count < payload.Length)
        {
            var (_, message) = await server.Handler.NextMessageAsync();
            Assert.InRange(message.Length, 1, RawFraming.ReadSize);
            received.AddRange(message);
        }

        Assert.Equal(payload, received);
        Assert.Equal(payload, await peer.ReadExactlyAsync(payload.Length));
    }

    [Fact]
    public async Task A_message_the_framing_cannot_carry_is_refused_before_anything_is_written()
    {
        var (server, endPoints) = await PlainWire.StartAsync([new LineFraming(), new LengthPrefixedFraming(LengthPrefix.UInt16)], handler: new RecordingHandler { Echo = false });
        await using var _ = server;
        await using var lines = await PlainPeer.ConnectAsync(endPoints[0]);
        var linesConnection = await server.Handler.NextConnectedAsync();
        await using var shorts = await PlainPeer.ConnectAsync(endPoints[1]);
        var shortsConnection = await server.Handler.NextConnectedAsync();

        await Assert.ThrowsAsync<ArgumentException>(() => linesConnection.SendAsync("two\nlines"u8.ToArray()).AsTask());
        await Assert.ThrowsAsync<ArgumentException>(() => shortsConnection.SendAsync(new byte[ushort.MaxValue + 1]).AsTask());

        // Both connections are still usable, and the refused messages left no partial frame in front of the next one.
        await linesConnection.SendAsync("next"u8.ToArray());
        await shortsConnection.SendAsync("next"u8.ToArray());
        await lines.ExpectMessageAsync(Wire.Lines, "next");
        await shorts.ExpectMessageAsync(Wire.Prefix16, "next");
    }
}
