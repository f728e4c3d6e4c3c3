namespace Tether.Sessions;

/// <summary>
/// What a server does when a message for a session does not fit in its replay buffer, because the client has not
/// acknowledged what it was sent (it reads too slowly, or it is gone). Whatever the policy, one slow client never
/// stalls a broadcast, and no message is dropped without the client being told (it learns on resume).
/// </summary>
public enum SlowConsumerPolicy
{
    /// <summary>
    /// A direct send waits for acks to make room, up to <see cref="ServerSessionOptions.SlowConsumerTimeout"/>; then,
    /// and at once for a broadcast (which never waits), it acts as <see cref="Disconnect"/>.
    /// </summary>
    Wait,

    /// <summary>
    /// The connection is closed with SLOW_CONSUMER (1009). The session keeps the message (its buffer may exceed the
    /// limit by this one message) and waits, detached, for the client to resume; a message that does not fit while it is
    /// detached overflows it (<see cref="DropSession"/>).
    /// </summary>
    Disconnect,

    /// <summary>
    /// The session is discarded: the connection is closed with SLOW_CONSUMER, the server's handler gets
    /// <c>OnSessionLostAsync</c> with <see cref="SessionLostReason.Overflow"/>, and the client's resume is answered with
    /// OVERFLOW and the number of messages lost.
    /// </summary>
    DropSession,
}
