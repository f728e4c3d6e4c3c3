namespace Tether.Sessions;

/// <summary>What to do with an incoming DATA frame, by its sequence number.</summary>
internal enum SequenceVerdict
{
    /// <summary>The next message in order: deliver it.</summary>
    Deliver,

    /// <summary>Already delivered (a retransmission): drop it silently.</summary>
    Duplicate,

    /// <summary>Messages are missing before it: the sender broke the protocol.</summary>
    Gap,
}
