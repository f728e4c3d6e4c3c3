using System.Buffers;

namespace Tether.Protocol;

/// <summary>
/// One complete frame as read from the wire: a validated header and a view of its body. The body is a slice of the
/// receive buffer, valid only until the reader advances past it.
/// </summary>
public readonly struct TetherFrame
{
    /// <summary>Creates a frame view.</summary>
    public TetherFrame(FrameHeader header, ReadOnlySequence<byte> body)
    {
        Header = header;
        Body = body;
    }

    /// <summary>The validated header.</summary>
    public FrameHeader Header { get; }

    /// <summary>The body bytes (header excluded).</summary>
    public ReadOnlySequence<byte> Body { get; }

    /// <summary>The frame type.</summary>
    public FrameType Type => Header.Type;

    /// <summary>The raw flags byte.</summary>
    public byte Flags => Header.Flags;

    /// <summary>Total encoded size, header included.</summary>
    public int EncodedLength => ProtocolConstants.HeaderSize + Header.BodyLength;

    /// <summary>
    /// Cuts the next complete frame off the front of <paramref name="buffer"/>. Returns false (buffer unchanged) when more
    /// bytes are needed. Throws <see cref="TetherProtocolException"/> as soon as the header shows the frame is invalid.
    /// </summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, int maxBodyLength, out TetherFrame frame)
    {
        if (!FrameHeader.TryRead(buffer, maxBodyLength, out var header)
            || buffer.Length < ProtocolConstants.HeaderSize + (long)header.BodyLength)
        {
            frame = default;
            return false;
        }

        frame = new TetherFrame(header, buffer.Slice(ProtocolConstants.HeaderSize, header.BodyLength));
        buffer = buffer.Slice(frame.EncodedLength);
        return true;
    }

    /// <summary>
    /// The typed view of one whole encoded frame whose header was already validated (by <see cref="TryRead"/> or
    /// <see cref="FrameHeader.TryRead"/>).
    /// </summary>
    public static TetherFrame Parse(ReadOnlySequence<byte> encoded)
    {
        FrameHeader.TryRead(encoded, int.MaxValue, out var header);
        return new TetherFrame(header, encoded.Slice(ProtocolConstants.HeaderSize));
    }

    /// <summary>Reads the u64 body of an ACK, PING or PONG frame.</summary>
    public ulong ReadUInt64Body()
    {
        var reader = new WireReader(Body);
        return reader.ReadUInt64();
    }
}
