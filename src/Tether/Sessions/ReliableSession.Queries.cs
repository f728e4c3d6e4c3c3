namespace Tether.Sessions;

// What the owners of a session read and wait for, beside the inputs that drive it (ReliableSession.cs).
internal sealed partial class ReliableSession
{
    public ulong LastSent
    {
        get
        {
            lock (SyncRoot)
            {
                return _outbound.LastSequence;
            }
        }
    }

    public ulong LastAcknowledged
    {
        get
        {
            lock (SyncRoot)
            {
                return _outbound.Acknowledged;
            }
        }
    }

    public ulong LastReceived
    {
        get
        {
            lock (SyncRoot)
            {
                return _inbound.LastReceived;
            }
        }
    }

    public int UnacknowledgedCount
    {
        get
        {
            lock (SyncRoot)
            {
                return _outbound.Count;
            }
        }
    }

    public int UnacknowledgedBytes
    {
        get
        {
            lock (SyncRoot)
            {
                return _outbound.Bytes;
            }
        }
    }

    public long DuplicatesDropped
    {
        get
        {
            lock (SyncRoot)
            {
                return _inbound.Duplicates;
            }
        }
    }

    /// <summary>Completes when an ack frees room, the session is attached again, or it is lost.</summary>
    public Task WaitForRoomAsync(CancellationToken cancellationToken)
    {
        lock (SyncRoot)
        {
            if (_lost is not null || _outbound.Count == 0)
            {
                return Task.CompletedTask;
            }

            return (_waiters ??= new()).WaitForRoom().WaitAsync(cancellationToken);
        }
    }

    /// <summary>Completes when the peer has acknowledged <paramref name="sequence"/>; faults if the session is lost first.</summary>
    public Task WaitForAckAsync(ulong sequence, CancellationToken cancellationToken)
    {
        lock (SyncRoot)
        {
            if (sequence <= _outbound.Acknowledged)
            {
                return Task.CompletedTask;
            }

            if (_lost is { } lost)
            {
                return Task.FromException(NotAcknowledged(lost));
            }

            return (_waiters ??= new()).WaitForAck(sequence).WaitAsync(cancellationToken);
        }
    }

    /// <summary>Copies of the messages sent and not yet acknowledged, oldest first.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> CopyUnacknowledged()
    {
        lock (SyncRoot)
        {
            return _outbound.CopyAll();
        }
    }
}
