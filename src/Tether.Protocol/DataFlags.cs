namespace Tether.Protocol;

/// <summary>Flags of a <see cref="FrameType.Data"/> frame.</summary>
[Flags]
public enum DataFlags : byte
{
    /// <summary>No flag: a plain message.</summary>
    None = 0,

    /// <summary>A u64 sequence number precedes the payload.</summary>
    Sequence = 0x01,

    /// <summary>A u64 cumulative acknowledgement precedes the payload (after the sequence number, if any).</summary>
    Ack = 0x02,
}
