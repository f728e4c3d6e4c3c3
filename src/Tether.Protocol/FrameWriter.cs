using System.Buffers;

namespace Tether.Protocol;

/// <summary>
/// Allocation-free writers for the frames on the hot path (DATA, ACK, PING, PONG, extension frames). Control frames
/// with variable fields have their own <c>Write</c> methods.
/// </summary>
public static class FrameWriter
{
    /// <summary>Encoded size of a DATA frame.</summary>
    public static int DataLength(int payloadLength, DataFlags flags = DataFlags.None) => DataFrame.HeaderLength(flags) + payloadLength;

    /// <summary>Writes a DATA frame without sequence or acknowledgement.</summary>
    public static void WriteData(IBufferWriter<byte> output, ReadOnlySpan<byte> payload) =>
        WriteData(output, payload, DataFlags.None, 0, 0);

    /// <summary>Writes a DATA frame with the optional fields that <paramref name="flags"/> selects.</summary>
    public static void WriteData(IBufferWriter<byte> output, ReadOnlySpan<byte> payload, DataFlags flags, ulong sequence, ulong ack)
    {
        ArgumentNullException.ThrowIfNull(output);
        var total = DataLength(payload.Length, flags);
        var span = output.GetSpan(total);
        var headerLength = WriteDataHeader(span, payload.Length, flags, sequence, ack);
        payload.CopyTo(span[headerLength..]);
        output.Advance(total);
    }

    /// <summary>
    /// Writes only the DATA header (frame header and optional fields) for a payload that the caller copies after it;
    /// returns the number of bytes written.
    /// </summary>
    public static int WriteDataHeader(Span<byte> destination, int payloadLength, DataFlags flags, ulong sequence, ulong ack)
    {
        var headerLength = DataFrame.HeaderLength(flags);
        var writer = new WireWriter(destination);
        writer.WriteHeader(FrameType.Data, (byte)flags, headerLength - ProtocolConstants.HeaderSize + payloadLength);
        if ((flags & DataFlags.Sequence) != 0)
        {
            writer.WriteUInt64(sequence);
        }

        if ((flags & DataFlags.Ack) != 0)
        {
            writer.WriteUInt64(ack);
        }

        return headerLength;
    }

    /// <summary>Size of a PING, PONG or ACK frame.</summary>
    public const int UInt64FrameLength = ProtocolConstants.HeaderSize + 8;

    /// <summary>Writes a PING carrying <paramref name="value"/>.</summary>
    public static void WritePing(IBufferWriter<byte> output, ulong value) => WriteUInt64Frame(output, FrameType.Ping, value);

    /// <summary>Writes a PONG echoing <paramref name="value"/>.</summary>
    public static void WritePong(IBufferWriter<byte> output, ulong value) => WriteUInt64Frame(output, FrameType.Pong, value);

    /// <summary>Writes an ACK of everything up to <paramref name="sequence"/>.</summary>
    public static void WriteAck(IBufferWriter<byte> output, ulong sequence) => WriteUInt64Frame(output, FrameType.Ack, sequence);

    /// <summary>Writes a PING, PONG or ACK frame into <paramref name="destination"/> (at least <see cref="UInt64FrameLength"/> bytes).</summary>
    public static void WriteUInt64Frame(Span<byte> destination, FrameType type, ulong value)
    {
        var writer = new WireWriter(destination);
        writer.WriteHeader(type, 0, 8);
        writer.WriteUInt64(value);
    }

    /// <summary>Writes an extension frame (type 0x40-0x7F).</summary>
    public static void WriteExtension(IBufferWriter<byte> output, byte type, byte flags, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (type is < ProtocolConstants.FirstExtensionFrameType or > ProtocolConstants.LastExtensionFrameType)
        {
            throw new ArgumentOutOfRangeException(nameof(type), "extension frame types are 0x40-0x7F");
        }

        var total = ProtocolConstants.HeaderSize + body.Length;
        var span = output.GetSpan(total);
        var writer = new WireWriter(span);
        writer.WriteHeader((FrameType)type, flags, body.Length);
        writer.WriteBytes(body);
        output.Advance(total);
    }

    private static void WriteUInt64Frame(IBufferWriter<byte> output, FrameType type, ulong value)
    {
        ArgumentNullException.ThrowIfNull(output);
        WriteUInt64Frame(output.GetSpan(UInt64FrameLength), type, value);
        output.Advance(UInt64FrameLength);
    }
}
