using System.Buffers.Binary;
using System.Net;
using System.Text;
using Tether.Framing;
using Tether.Server;
using Tether.Tests.Support;

namespace Tether.Tests.Plain;

/// <summary>The built-in plain framings the tests run against.</summary>
public enum Wire
{
    Lines,

    /// <summary>Length-prefixed, 2-byte big-endian length.</summary>
    Prefix16,

    /// <summary>Length-prefixed, 4-byte big-endian length.</summary>
    Prefix32,
    Raw,
}

/// <summary>
/// The peer's side of each wire, written by hand from the framing's documented format rather than with the framing
/// under test, so that an encoder and a decoder that agree on the same mistake cannot pass.
/// </summary>
internal static class PlainWire
{
    public static IFraming Framing(Wire wire) => wire switch
    {
        Wire.Lines => new LineFraming(),
        Wire.Prefix16 => new LengthPrefixedFraming(LengthPrefix.UInt16),
        Wire.Prefix32 => new LengthPrefixedFraming(LengthPrefix.UInt32),
        Wire.Raw => RawFraming.Instance,
        _ => throw new ArgumentOutOfRangeException(nameof(wire)),
    };

    public static byte[] Encode(Wire wire, string message)
    {
        var payload = Encoding.UTF8.GetBytes(message);
        switch (wire)
        {
            case Wire.Lines:
                return [.. payload, (byte)'\n'];
            case Wire.Prefix16:
                var header16 = new byte[2];
                BinaryPrimitives.WriteUInt16BigEndian(header16, (ushort)payload.Length);
                return [.. header16, .. payload];
            case Wire.Prefix32:
                var header32 = new byte[4];
                BinaryPrimitives.WriteUInt32BigEndian(header32, (uint)payload.Length);
                return [.. header32, .. payload];
            default:
                return payload;
        }
    }

    /// <summary>Reads the next message the server framed for <paramref name="wire"/> and checks it is <paramref name="expected"/>.</summary>
    public static async Task ExpectMessageAsync(this PlainPeer peer, Wire wire, string expected)
    {
        string? actual;
        switch (wire)
        {
            case Wire.Lines:
                actual = await peer.ReadLineAsync();
                break;
            case Wire.Prefix16:
                var header16 = await peer.ReadExactlyAsync(2);
                actual = Encoding.UTF8.GetString(await peer.ReadExactlyAsync(BinaryPrimitives.ReadUInt16BigEndian(header16)));
                break;
            case Wire.Prefix32:
                var header32 = await peer.ReadExactlyAsync(4);
                actual = Encoding.UTF8.GetString(await peer.ReadExactlyAsync((int)BinaryPrimitives.ReadUInt32BigEndian(header32)));
                break;
            default:
                // Raw has no boundaries: the message is whatever its bytes are.
                actual = Encoding.UTF8.GetString(await peer.ReadExactlyAsync(Encoding.UTF8.GetByteCount(expected)));
                break;
        }

        Assert.Equal(expected, actual);
    }

    /// <summary>
    /// Starts a server with its usual Tether endpoint (index 0) and, after it, one plain listener per framing given;
    /// returns the fixture and the plain endpoints in order.
    /// </summary>
    public static async Task<(ServerFixture Server, IPEndPoint[] Plain)> StartAsync(
        IFraming[] framings,
        Action<ListenerOptions>? listener = null,
        Action<TetherServerOptions>? server = null,
        TimeProvider? time = null,
        RecordingHandler? handler = null)
    {
        var fixture = await ServerFixture.StartAsync(
            options =>
            {
                server?.Invoke(options);
                foreach (var framing in framings)
                {
                    var added = options.Listen(new IPEndPoint(IPAddress.Loopback, 0), framing);
                    listener?.Invoke(added);
                }
            },
            time,
            handler);
        return (fixture, [.. fixture.Server.LocalEndPoints.Skip(1)]);
    }

    public static async Task<(ServerFixture Server, IPEndPoint Plain)> StartAsync(
        IFraming framing,
        Action<ListenerOptions>? listener = null,
        Action<TetherServerOptions>? server = null,
        TimeProvider? time = null,
        RecordingHandler? handler = null)
    {
        var (fixture, endPoints) = await StartAsync([framing], listener, server, time, handler);
        return (fixture, endPoints[0]);
    }

    /// <summary>Collects what a raw listener delivered until <paramref name="length"/> bytes have arrived, however they were cut.</summary>
    public static async Task<string> ReceiveRawAsync(this RecordingHandler handler, int length)
    {
        var received = new List<byte>();
        while (received.Count < length)
        {
            var (_, message) = await handler.NextMessageAsync();
            Assert.NotEmpty(message);
            received.AddRange(message);
        }

        Assert.Equal(length, received.Count);
        return Encoding.UTF8.GetString([.. received]);
    }
}
