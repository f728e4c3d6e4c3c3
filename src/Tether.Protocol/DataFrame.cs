using System.Buffers;
using System.Buffers.Binary;

namespace Tether.Protocol;

/// <summary>A view of a DATA frame: optional sequence number, optional piggy-backed acknowledgement, payload.</summary>
public readonly struct DataFrame
{
    private DataFrame(DataFlags flags, ulong sequence, ulong ack, ReadOnlySequence<byte> payload)
    {
        Flags = flags;
        Sequence = sequence;
        Ack = ack;
        Payload = payload;
    }

    /// <summary>Which optional fields are present.</summary>
    public DataFlags Flags { get; }

    /// <summary>The sequence number; meaningful when <see cref="HasSequence"/>.</summary>
    public ulong Sequence { get; }

    /// <summary>The cumulative acknowledgement; meaningful when <see cref="HasAck"/>.</summary>
    public ulong Ack { get; }

    /// <summary>The application bytes (a slice of the receive buffer).</summary>
    public ReadOnlySequence<byte> Payload { get; }

    /// <summary>True when the frame carries a sequence number.</summary>
    public bool HasSequence => (Flags & DataFlags.Sequence) != 0;

    /// <summary>True when the frame carries an acknowledgement.</summary>
    public bool HasAck => (Flags & DataFlags.Ack) != 0;

    /// <summary>Reads the fields of a DATA frame without copying its payload.</summary>
    public static DataFrame Parse(in TetherFrame frame)
    {
        HelloFrame.RequireType(frame, FrameType.Data);
        var flags = (DataFlags)frame.Flags;
        var body = frame.Body;
        var fields = HeaderLength(flags) - ProtocolConstants.HeaderSize;
        var first = body.FirstSpan;
        if (first.Length >= fields)
        {
            // The usual case: the optional fields lie in the first segment, and are read in place.
            var hasSequence = (flags & DataFlags.Sequence) != 0;
            var seq = hasSequence ? BinaryPrimitives.ReadUInt64BigEndian(first) : 0;
            var ackValue = (flags & DataFlags.Ack) != 0 ? BinaryPrimitives.ReadUInt64BigEndian(first[(hasSequence ? 8 : 0)..]) : 0;
            return new DataFrame(flags, seq, ackValue, fields == 0 ? body : body.Slice(fields));
        }

        var reader = new WireReader(body);
        var sequence = (flags & DataFlags.Sequence) != 0 ? reader.ReadUInt64() : 0;
        var ack = (flags & DataFlags.Ack) != 0 ? reader.ReadUInt64() : 0;
        return new DataFrame(flags, sequence, ack, reader.ReadRest());
    }

    /// <summary>Size of the DATA header (frame header plus optional fields) for the given flags.</summary>
    public static int HeaderLength(DataFlags flags) =>
        ProtocolConstants.HeaderSize + ((flags & DataFlags.Sequence) != 0 ? 8 : 0) + ((flags & DataFlags.Ack) != 0 ? 8 : 0);
}
