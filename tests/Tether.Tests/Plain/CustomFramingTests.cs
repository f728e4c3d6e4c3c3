using System.Buffers;
using System.Text;
using Tether.FaultProxy;
using Tether.Framing;
using Tether.Protocol;
using Tether.Tests.Support;

namespace Tether.Tests.Plain;

/// <summary>An application's own <see cref="IFraming"/> plugged into a listener, as a user of the library would write one.</summary>
public sealed class CustomFramingTests
{
    private const byte Stx = 0x02;
    private const byte Etx = 0x03;

    [Fact]
    public async Task An_stx_etx_framing_written_by_the_application_works_end_to_end()
    {
        var (server, endPoint) = await PlainWire.StartAsync(new StxEtxFraming(maxFrameLength: 64));
        await using var _ = server;
        await using var proxy = TcpFaultProxy.Start(endPoint);
        await using var peer = await PlainPeer.ConnectAsync(proxy.EndPoint);
        var connection = await server.Handler.NextConnectedAsync();
        Assert.Equal("stx-etx", connection.Listener.FramingName);

        // Two frames in one write, then one split into single bytes: the runtime keeps what the framing cannot cut yet.
        await peer.SendAsync([.. Frame("hello"), .. Frame("world")]);
        Assert.Equal("hello", Encoding.UTF8.GetString((await server.Handler.NextMessageAsync()).Message));
        Assert.Equal("world", Encoding.UTF8.GetString((await server.Handler.NextMessageAsync()).Message));
        proxy.Slice(1, TimeSpan.FromMilliseconds(1), FaultDirection.ClientToServer);
        await peer.SendAsync(Frame("sliced"));
        Assert.Equal("sliced", Encoding.UTF8.GetString((await server.Handler.NextMessageAsync()).Message));

        // Echoes, a broadcast and a direct send all go out through the same framing.
        Assert.Equal(Frame("hello"), await peer.ReadExactlyAsync(7));
        Assert.Equal(Frame("world"), await peer.ReadExactlyAsync(7));
        Assert.Equal(Frame("sliced"), await peer.ReadExactlyAsync(8));
        Assert.Equal(1, server.Server.Broadcast("to all"u8));
        Assert.Equal(Frame("to all"), await peer.ReadExactlyAsync(8));

        // A graceful close writes the framing's farewell before FIN.
        await connection.CloseAsync(CloseCode.Normal, "bye");
        Assert.Equal(Frame("BYE NORMAL"), await peer.ReadExactlyAsync(12));
        await peer.ExpectEndOfStreamAsync();
    }

    [Fact]
    public async Task Input_the_framing_rejects_closes_the_connection_with_its_code()
    {
        var (server, endPoint) = await PlainWire.StartAsync(new StxEtxFraming(maxFrameLength: 64));
        await using var _ = server;
        await using var peer = await PlainPeer.ConnectAsync(endPoint);
        var connection = await server.Handler.NextConnectedAsync();

        await peer.SendAsync("no STX here"u8.ToArray());

        Assert.Equal(Frame("BYE PROTOCOL_ERROR"), await peer.ReadExactlyAsync(20));
        await peer.ExpectEndOfStreamAsync();
        var (closed, info) = await server.Handler.NextDisconnectedAsync();
        Assert.Same(connection, closed);
        Assert.Equal(DisconnectReason.ProtocolError, info.Reason);
        Assert.Equal(CloseCode.ProtocolError, info.Code);
    }

    [Fact]
    public async Task The_runtime_bounds_a_frame_by_max_frame_length_even_when_the_framing_does_not_object()
    {
        var (server, endPoint) = await PlainWire.StartAsync(new StxEtxFraming(maxFrameLength: 64));
        await using var _ = server;
        using var metrics = new MetricRecorder(server.Server.Metrics.Meter, "limit");
        await using var peer = await PlainPeer.ConnectAsync(endPoint);
        var connection = await server.Handler.NextConnectedAsync();

        // This framing only looks for ETX and never counts: 64 bytes without one must still end the connection.
        await peer.SendAsync([Stx, .. Enumerable.Repeat((byte)'x', 63)]);

        Assert.Equal(Frame("BYE FRAME_TOO_LARGE"), await peer.ReadExactlyAsync(21));
        await peer.ExpectEndOfStreamAsync();
        var (closed, info) = await server.Handler.NextDisconnectedAsync();
        Assert.Same(connection, closed);
        Assert.Equal(DisconnectReason.ProtocolError, info.Reason);
        Assert.Equal(CloseCode.FrameTooLarge, info.Code);
        Assert.Equal(1, metrics.Sum("tether.limits.rejected", "max-frame-size"));
    }

    private static byte[] Frame(string text) => [Stx, .. Encoding.UTF8.GetBytes(text), Etx];

    /// <summary>
    /// STX, payload, ETX: a common serial-device framing. Deliberately minimal: it rejects input that does not start a
    /// frame, but leaves the length bound to the runtime (<see cref="IFraming.MaxFrameLength"/>).
    /// </summary>
    private sealed class StxEtxFraming(int maxFrameLength) : IFraming
    {
        public string Name => "stx-etx";

        public int MaxFrameLength => maxFrameLength;

        public bool TryRead(ref ReadOnlySequence<byte> input, out ReadOnlySequence<byte> message)
        {
            message = default;
            var reader = new SequenceReader<byte>(input);
            if (!reader.TryRead(out var first))
            {
                return false;
            }

            if (first != Stx)
            {
                throw new TetherProtocolException(CloseCode.ProtocolError, $"expected STX, got 0x{first:X2}");
            }

            if (!reader.TryReadTo(out ReadOnlySequence<byte> payload, Etx))
            {
                return false;
            }

            message = payload;
            input = input.Slice(reader.Position);
            return true;
        }

        public void Write(ReadOnlySpan<byte> message, IBufferWriter<byte> output)
        {
            if (message.IndexOfAny(Stx, Etx) >= 0)
            {
                throw new ArgumentException("a frame cannot contain STX or ETX", nameof(message));
            }

            output.Write([Stx]);
            output.Write(message);
            output.Write([Etx]);
        }

        public void WriteFarewell(CloseCode code, string reason, IBufferWriter<byte> output) =>
            Write(Encoding.ASCII.GetBytes("BYE " + code.ToWireName()), output);
    }
}
