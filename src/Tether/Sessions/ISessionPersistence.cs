namespace Tether.Sessions;

/// <summary>
/// Where a session's progress is stored beyond this process (cluster mode). The session calls it under its own lock,
/// so an implementation only records the value and schedules the write: it takes no lock the session's callers hold.
/// </summary>
internal interface ISessionPersistence
{
    /// <summary>Messages up to <paramref name="lastReceived"/> were received in order.</summary>
    void OnReceived(ulong lastReceived);

    /// <summary>The peer acknowledged messages up to <paramref name="acknowledged"/>.</summary>
    void OnAcknowledged(ulong acknowledged);

    /// <summary>
    /// How far what was received is stored where another node could resume from: the session acknowledges nothing
    /// beyond it. Only grows; read under the session's lock.
    /// </summary>
    ulong InboundPersisted { get; }
}
