using System.Buffers.Binary;
using System.Text;
using Tether.Framing;
using Tether.Protocol;
using Tether.Tests.Support;

namespace Tether.Tests.Plain;

public sealed class PlainLimitTests
{
    private const string Rejected = "tether.limits.rejected";

    [Theory]
    [InlineData(17, true)]
    [InlineData(17, false)]
    [InlineData(100, false)]
    public async Task A_line_over_the_limit_gets_a_farewell_line_then_end_of_stream(int length, bool terminated)
    {
        var overlong = new string('y', length) + (terminated ? "\n" : string.Empty);
        var (server, endPoint) = await PlainWire.StartAsync(new LineFraming(maxLineLength: 16));
        await using var _ = server;
        using var metrics = new MetricRecorder(server.Server.Metrics.Meter, "limit");
        await using var peer = await PlainPeer.ConnectAsync(endPoint);
        var connection = await server.Handler.NextConnectedAsync();

        // A line of exactly the limit is fine (its CRLF does not count); 17 bytes are too many, and are refused without
        // waiting for a line ending that may never come.
        await peer.SendTextAsync("xxxxxxxxxxxxxxxx\r\n");
        Assert.Equal("xxxxxxxxxxxxxxxx", Encoding.UTF8.GetString((await server.Handler.NextMessageAsync()).Message));
        await peer.SendTextAsync(overlong);

        Assert.Equal("xxxxxxxxxxxxxxxx", await peer.ReadLineAsync());
        Assert.Equal("CLOSE FRAME_TOO_LARGE line longer than 16 bytes", await peer.ReadLineAsync());
        await peer.ExpectEndOfStreamAsync();

        var (closed, info) = await server.Handler.NextDisconnectedAsync();
        Assert.Same(connection, closed);
        Assert.Equal(DisconnectReason.ProtocolError, info.Reason);
        Assert.Equal(CloseCode.FrameTooLarge, info.Code);
        Assert.Equal(1, metrics.Sum(Rejected, "max-frame-size"));
    }

    [Theory]
    [InlineData(Wire.Prefix16, 101u)]
    [InlineData(Wire.Prefix16, 65535u)]
    [InlineData(Wire.Prefix32, 1u << 30)]
    [InlineData(Wire.Prefix32, uint.MaxValue)]
    public async Task A_length_prefix_over_the_maximum_closes_the_connection_before_any_payload_is_sent(Wire wire, uint announced)
    {
        var prefix = wire == Wire.Prefix16 ? LengthPrefix.UInt16 : LengthPrefix.UInt32;
        var (server, endPoint) = await PlainWire.StartAsync(new LengthPrefixedFraming(prefix, maxMessageLength: 100));
        await using var _ = server;
        using var metrics = new MetricRecorder(server.Server.Metrics.Meter, "limit");
        await using var peer = await PlainPeer.ConnectAsync(endPoint);
        var connection = await server.Handler.NextConnectedAsync();
        var longest = new string('m', 100);
        await peer.SendAsync(PlainWire.Encode(wire, longest));
        await peer.ExpectMessageAsync(wire, longest);

        // The header alone: the server must decide from it, not wait for (or buffer) a payload it will never accept.
        var header = new byte[(int)prefix];
        if (prefix == LengthPrefix.UInt16)
        {
            BinaryPrimitives.WriteUInt16BigEndian(header, (ushort)announced);
        }
        else
        {
            BinaryPrimitives.WriteUInt32BigEndian(header, announced);
        }

        await peer.SendAsync(header);

        // Length-prefixed framing has no farewell: the peer sees the end of the stream and nothing else.
        await peer.ExpectEndOfStreamAsync();
        var (closed, info) = await server.Handler.NextDisconnectedAsync();
        Assert.Same(connection, closed);
        Assert.Equal(DisconnectReason.ProtocolError, info.Reason);
        Assert.Equal(CloseCode.FrameTooLarge, info.Code);
        Assert.Equal(1, metrics.Sum(Rejected, "max-frame-size"));
    }

    [Theory]
    [InlineData(Wire.Lines)]
    [InlineData(Wire.Prefix16)]
    public async Task A_limit_violation_arriving_with_more_than_a_receive_buffer_of_data_still_ends_the_connection(Wire wire)
    {
        var framing = wire == Wire.Lines ? (IFraming)new LineFraming(maxLineLength: 16) : new LengthPrefixedFraming(LengthPrefix.UInt16, maxMessageLength: 100);
        var (server, endPoint) = await PlainWire.StartAsync(framing);
        await using var _ = server;
        await using var peer = await PlainPeer.ConnectAsync(endPoint);
        var connection = await server.Handler.NextConnectedAsync();

        // One write far larger than the server's receive buffer: the read that proves the violation fills the buffer,
        // and the bytes behind it must be discarded while the server waits for the peer to close its side.
        var flood = wire == Wire.Lines ? PlainWire.Encode(Wire.Raw, new string('y', 100_000)) : PlainWire.Encode(Wire.Prefix16, new string('p', 65_535));
        await peer.SendAsync(flood);

        if (wire == Wire.Lines)
        {
            Assert.Equal("CLOSE FRAME_TOO_LARGE line longer than 16 bytes", await peer.ReadLineAsync());
        }

        await peer.ExpectEndOfStreamAsync();
        var (closed, info) = await server.Handler.NextDisconnectedAsync();
        Assert.Same(connection, closed);
        Assert.Equal(CloseCode.FrameTooLarge, info.Code);
        await Eventually.WaitUntilAsync(() => server.Server.Connections.Count == 0);
    }

    [Fact]
    public async Task A_lines_peer_over_the_connection_limit_is_told_why_and_the_others_are_unaffected()
    {
        var (server, endPoint) = await PlainWire.StartAsync(new LineFraming(), server: o => o.MaxConnections = 1);
        await using var _ = server;
        using var metrics = new MetricRecorder(server.Server.Metrics.Meter, "limit");
        await using var first = await PlainPeer.ConnectAsync(endPoint);
        await server.Handler.NextConnectedAsync();

        await using var second = await PlainPeer.ConnectAsync(endPoint);

        Assert.Equal("CLOSE TOO_MANY_CONNECTIONS connection limit reached", await second.ReadLineAsync());
        await second.ExpectEndOfStreamAsync();
        Assert.Equal(1, metrics.Sum(Rejected, "max-connections"));
        Assert.Single(server.Server.Connections);

        await first.SendTextAsync("still here\n");
        Assert.Equal("still here", await first.ReadLineAsync());
    }
}
