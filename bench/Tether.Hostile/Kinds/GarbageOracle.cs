using System.Buffers.Binary;
using Tether.Protocol;

namespace Tether.Hostile.Kinds;

/// <summary>
/// What docs/protocol.md says a server must do with a given run of bytes, worked out from the spec's rules rather than
/// from the implementation: the set of close codes it may use, or null where the spec does not settle the outcome
/// within the run (the server would wait for more bytes, or the bytes happen to form valid frames that end in the
/// peer's own CLOSE). Garbage with an unsettled outcome is drawn again.
/// </summary>
internal static class GarbageOracle
{
    private const int HeaderSize = ProtocolConstants.HeaderSize;

    /// <summary>Bytes sent as the very first thing on a connection (the server expects HELLO).</summary>
    public static IReadOnlySet<CloseCode>? BeforeHandshake(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < HeaderSize)
        {
            return CloseCodes.HandshakeTimeout;
        }

        var codes = HeaderRules(bytes, ProtocolConstants.HandshakeMaxBodySize);
        // Section 4.6: during the handshake the type byte alone says whether the frame is the expected HELLO.
        if (bytes[0] != (byte)FrameType.Hello)
        {
            codes.Add(CloseCode.ProtocolError);
        }

        if (codes.Count > 0)
        {
            return codes;
        }

        var length = BodyLength(bytes);
        if (bytes.Length - HeaderSize < length)
        {
            // Section 4.4 makes RESUME without SESSION a frame-level error but not a header check, so a server may
            // wait for the body first; an incomplete HELLO otherwise waits for the handshake timeout (section 7.1).
            return IsResumeWithoutSession(bytes) ? null : CloseCodes.HandshakeTimeout;
        }

        var body = bytes.Slice(HeaderSize, (int)length);
        if (IsResumeWithoutSession(bytes) || body.Length < 4 || BinaryPrimitives.ReadUInt32BigEndian(body) != ProtocolConstants.Magic)
        {
            return CloseCodes.ProtocolError;
        }

        // Random bytes behind a real magic: every field would have to be judged. Rare enough to draw again.
        return null;
    }

    /// <summary>Bytes sent after a WELCOME without a session; <paramref name="maxFrameSize"/> is what the WELCOME announced.</summary>
    public static IReadOnlySet<CloseCode>? AfterHandshake(ReadOnlySpan<byte> bytes, uint maxFrameSize)
    {
        while (true)
        {
            if (bytes.Length < HeaderSize)
            {
                return null;
            }

            var codes = HeaderRules(bytes, maxFrameSize);
            if (codes.Count > 0)
            {
                return codes;
            }

            var length = BodyLength(bytes);
            if (bytes.Length - HeaderSize < length)
            {
                return null;
            }

            switch ((FrameType)bytes[0])
            {
                case FrameType.Hello or FrameType.Welcome or FrameType.GoAway:
                    return CloseCodes.ProtocolError; // section 7.5: never from a client once the connection is open
                case FrameType.Data when bytes[1] != 0:
                    return CloseCodes.ProtocolError; // section 5.3: SEQ or ACK outside a session
                case FrameType.Ack:
                    return CloseCodes.ProtocolError; // section 5.4: ACK outside a session
                case FrameType.Close:
                    return null; // section 12: the peer's own CLOSE; the server closes without one of its own
            }

            // A plain DATA (echoed), PING (answered), PONG or extension frame (skipped): the server reads on.
            bytes = bytes[(HeaderSize + (int)length)..];
        }
    }

    /// <summary>
    /// Section 4.6, step 2: the checks made from the header alone. A header may break several rules, and the receiver
    /// may report any one of them, so every code broken is allowed.
    /// </summary>
    private static HashSet<CloseCode> HeaderRules(ReadOnlySpan<byte> header, long maxBody)
    {
        var codes = new HashSet<CloseCode>();
        var type = header[0];
        var flags = header[1];
        var length = BodyLength(header);
        if (type is 0x00 or (>= 0x09 and <= 0x3F) or >= 0x80)
        {
            codes.Add(CloseCode.ProtocolError); // section 4.3
        }

        if (length > maxBody)
        {
            codes.Add(CloseCode.FrameTooLarge); // section 4.5
        }

        if (type is >= 0x01 and <= 0x08 && (flags & ~AllowedFlags(type)) != 0)
        {
            codes.Add(CloseCode.ProtocolError); // section 4.4
        }

        if (type is (byte)FrameType.Ack or (byte)FrameType.Ping or (byte)FrameType.Pong && length != 8)
        {
            codes.Add(CloseCode.ProtocolError); // sections 5.4-5.6 and 15: exactly 8 bytes, known from the header
        }

        return codes;
    }

    private static int AllowedFlags(byte type) => type is (byte)FrameType.Hello or (byte)FrameType.Welcome or (byte)FrameType.Data ? 0x03 : 0x00;

    private static bool IsResumeWithoutSession(ReadOnlySpan<byte> header) => (header[1] & 0x03) == 0x02;

    private static uint BodyLength(ReadOnlySpan<byte> header) => BinaryPrimitives.ReadUInt32BigEndian(header[2..]);
}
