namespace Tether.Sessions;

/// <summary>What <see cref="ReliableSession.OnData"/> decided about a received DATA frame.</summary>
internal enum ReceiveVerdict
{
    /// <summary>The next message in order: hand it to the application.</summary>
    Deliver,

    /// <summary>Already delivered (a retransmission), or from a link the session has left: drop it.</summary>
    Duplicate,

    /// <summary>Messages are missing before it: the peer broke the protocol.</summary>
    Gap,

    /// <summary>Its piggy-backed ack names a sequence number never sent: the peer broke the protocol.</summary>
    AckBeyondLastSent,
}
