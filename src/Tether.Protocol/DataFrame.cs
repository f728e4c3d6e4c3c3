using System.Buffers;

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
        var reader = new WireReader(frame.Body);
        var sequence = (flags & DataFlags.Sequence) != 0 ? reader.ReadUInt64() : 0;
        var ack = (flags & DataFlags.Ack) != 0 ? reader.ReadUInt64() : 0;
        return new DataFrame(flags, sequence, ack, reader.ReadRest());
    }

    /// <summary>Size of the DATA header (frame header plus optional fields) for the given flags.</summary>
    public static int HeaderLength(DataFlags flags) =>
        ProtocolConstants.HeaderSize + ((flags & DataFlags.Sequence) != 0 ? 8 : 0) + ((flags & DataFlags.Ack) != 0 ? 8 : 0);
}
