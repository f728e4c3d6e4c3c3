namespace Tether.Sessions;

/// <summary>What an acknowledgement did to a <see cref="ReplayBuffer"/>.</summary>
internal enum AckOutcome
{
    /// <summary>It freed one or more messages.</summary>
    Freed,

    /// <summary>It was at or below an earlier ack: nothing to free, not an error.</summary>
    Stale,

    /// <summary>It acknowledges a sequence number never sent: a protocol error by the peer.</summary>
    BeyondLastSent,
}
