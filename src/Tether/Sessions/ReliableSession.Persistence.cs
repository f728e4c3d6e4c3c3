namespace Tether.Sessions;

// Persistence: a session whose progress is stored beyond this process (cluster mode) reports to it and acknowledges
// only what it says is stored.
internal sealed partial class ReliableSession
{
    /// <summary>
    /// Makes the session report its progress to <paramref name="persistence"/> and, from now on, acknowledge only what
    /// it says is persisted (<see cref="OnInboundPersisted"/>).
    /// </summary>
    public void UsePersistence(ISessionPersistence persistence)
    {
        lock (SyncRoot)
        {
            _inbound.PersistLater();
            Volatile.Write(ref _persistence, persistence);
        }
    }

    /// <summary>
    /// Rebuilds the session from its stored state: <paramref name="held"/> are the unacknowledged messages numbered
    /// from <paramref name="acknowledged"/> + 1, and everything up to <paramref name="lastReceived"/> was received.
    /// Only on a new session, before it is attached.
    /// </summary>
    public void Restore(ulong acknowledged, IReadOnlyList<ReadOnlyMemory<byte>> held, ulong lastReceived)
    {
        lock (SyncRoot)
        {
            _outbound.StartAfter(acknowledged);
            foreach (var payload in held)
            {
                _outbound.Append(payload.Span);
            }

            _inbound.Restore(lastReceived);
        }
    }

    /// <summary>
    /// Input "inbound persisted up to <paramref name="upTo"/>": acks may now cover it. True when an ack is pending on
    /// an attachment (the caller flushes it).
    /// </summary>
    public bool OnInboundPersisted(ulong upTo)
    {
        lock (SyncRoot)
        {
            return _inbound.OnPersisted(upTo) && _attachment != Detached;
        }
    }
}
