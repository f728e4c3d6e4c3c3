namespace Tether.Sessions;

/// <summary>What a delivered message means for this side's pending ack.</summary>
internal enum AckSignal
{
    /// <summary>An ack was already pending, with its deadline already known to the link.</summary>
    None,

    /// <summary>This delivery started a pending ack: the link arms its ack timer for the deadline.</summary>
    Started,

    /// <summary>The message or byte threshold is reached: the ack goes out now.</summary>
    Due,
}
