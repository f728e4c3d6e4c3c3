using System.Buffers;
using System.Buffers.Binary;

namespace Tether.Protocol;

/// <summary>The 6-byte header every Tether frame starts with.</summary>
public readonly record struct FrameHeader(FrameType Type, byte Flags, int BodyLength)
{
    /// <summary>Writes the header into the first <see cref="ProtocolConstants.HeaderSize"/> bytes of <paramref name="destination"/>.</summary>
    public void Write(Span<byte> destination)
    {
        destination[0] = (byte)Type;
        destination[1] = Flags;
        BinaryPrimitives.WriteUInt32BigEndian(destination[2..], (uint)BodyLength);
    }

    /// <summary>
    /// Reads and validates a header. Returns false when fewer than 6 bytes are available. Throws
    /// <see cref="TetherProtocolException"/> for a reserved type, reserved flags, a wrong fixed body length, or a body
    /// longer than <paramref name="maxBodyLength"/>, all decided from the header alone, so nothing is allocated for it.
    /// </summary>
    public static bool TryRead(in ReadOnlySequence<byte> buffer, int maxBodyLength, out FrameHeader header)
    {
        // Nearly always the header lies in the first segment: read it in place.
        var first = buffer.FirstSpan;
        if (first.Length >= ProtocolConstants.HeaderSize)
        {
            header = Validate(first[0], first[1], BinaryPrimitives.ReadUInt32BigEndian(first[2..]), maxBodyLength);
            return true;
        }

        Span<byte> bytes = stackalloc byte[ProtocolConstants.HeaderSize];
        if (buffer.Length < ProtocolConstants.HeaderSize)
        {
            header = default;
            return false;
        }

        buffer.Slice(0, ProtocolConstants.HeaderSize).CopyTo(bytes);
        header = Validate(bytes[0], bytes[1], BinaryPrimitives.ReadUInt32BigEndian(bytes[2..]), maxBodyLength);
        return true;
    }

    private static FrameHeader Validate(byte type, byte flags, uint length, int maxBodyLength)
    {
        if (length > (uint)maxBodyLength)
        {
            throw new TetherProtocolException(CloseCode.FrameTooLarge, $"frame body of {length} bytes exceeds the maximum of {maxBodyLength}");
        }

        var allowedFlags = AllowedFlags(type);
        if ((flags & ~allowedFlags) != 0)
        {
            throw new TetherProtocolException(CloseCode.ProtocolError, $"reserved flag bits 0x{flags & ~allowedFlags:x2} set on frame type 0x{type:x2}");
        }

        var fixedLength = FixedBodyLength((FrameType)type);
        if (fixedLength >= 0 && length != (uint)fixedLength)
        {
            throw new TetherProtocolException(CloseCode.ProtocolError, $"frame type 0x{type:x2} must have a {fixedLength}-byte body, not {length}");
        }

        return new FrameHeader((FrameType)type, flags, (int)length);
    }

    private static byte AllowedFlags(byte type) => type switch
    {
        (byte)FrameType.Hello => (byte)(HelloFlags.Session | HelloFlags.Resume),
        (byte)FrameType.Welcome => (byte)(WelcomeFlags.Session | WelcomeFlags.Resumed),
        (byte)FrameType.Data => (byte)(DataFlags.Sequence | DataFlags.Ack),
        (byte)FrameType.Ack or (byte)FrameType.Ping or (byte)FrameType.Pong or (byte)FrameType.GoAway or (byte)FrameType.Close => 0,
        >= ProtocolConstants.FirstExtensionFrameType and <= ProtocolConstants.LastExtensionFrameType => 0xFF,
        _ => throw new TetherProtocolException(CloseCode.ProtocolError, $"reserved frame type 0x{type:x2}"),
    };

    private static int FixedBodyLength(FrameType type) => type switch
    {
        FrameType.Ack or FrameType.Ping or FrameType.Pong => 8,
        _ => -1,
    };

    /// <summary>True for frame types 0x40-0x7F, which a receiver that does not know them skips.</summary>
    public bool IsExtension => (byte)Type is >= ProtocolConstants.FirstExtensionFrameType and <= ProtocolConstants.LastExtensionFrameType;
}
