using System.Buffers;

namespace Tether.Sessions;

// Persistence: a session whose progress is stored beyond this process (cluster mode) reports to it and acknowledges
// only what it says is stored.
internal sealed partial class ReliableSession
{
    /// <summary>
    /// Makes the session report its progress to <paramref name="persistence"/> and, from now on, acknowledge only what
    /// it says is persisted (<see cref="ISessionPersistence.InboundPersisted"/>; <see cref="OnInboundPersisted"/> when
    /// that grows).
    /// </summary>
    public void UsePersistence(ISessionPersistence persistence)
    {
        lock (SyncRoot)
        {
            Volatile.Write(ref _persistence, persistence);
        }
    }

    // How far acks may go (under the session lock): what the store has, or everything on a single node. The store
    // keeps that position, not the session, so that a single node's sessions carry nothing for it.
    private ulong Persisted => _persistence?.InboundPersisted ?? ulong.MaxValue;

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
    /// Accepts <paramref name="payload"/> into the replay buffer without writing it to any link: with persistence the
    /// frame leaves only once the store has it (<see cref="WriteStored"/>), so a peer never holds a message the store
    /// lacks. Same outcomes as <see cref="TrySend"/>, except that it never answers Moved.
    /// </summary>
    public SessionSendResult TryNumber(ReadOnlySpan<byte> payload, bool overLimit, out ulong sequence)
    {
        sequence = 0;
        lock (SyncRoot)
        {
            if (_lost is not null)
            {
                return SessionSendResult.Lost;
            }

            if (payload.Length + SequenceBytes > _peerMaxFrame)
            {
                return SessionSendResult.TooLarge;
            }

            if (!overLimit && _outbound.Count > 0 && _outbound.Bytes + payload.Length > _settings.MaxUnacknowledgedBytes)
            {
                return SessionSendResult.Full;
            }

            sequence = _outbound.Append(payload);
            return SessionSendResult.Accepted;
        }
    }

    /// <summary>
    /// Writes the messages numbered after <paramref name="after"/> up to <paramref name="through"/> that the peer has
    /// not acknowledged, on <paramref name="attachment"/> (nothing if the session left it). Returns how many.
    /// </summary>
    public int WriteStored(int attachment, ulong after, ulong through, IBufferWriter<byte> output)
    {
        lock (SyncRoot)
        {
            if (attachment != _attachment || attachment == Detached)
            {
                return 0;
            }

            var written = 0;
            foreach (var entry in _outbound)
            {
                if (entry.Sequence > after && entry.Sequence <= through)
                {
                    WriteData(output, entry.Sequence, entry.First, entry.Second);
                    written++;
                }
            }

            return written;
        }
    }

    /// <summary>
    /// Input "the store's <see cref="ISessionPersistence.InboundPersisted"/> grew": acks may now cover it. True when an
    /// ack is pending on an attachment (the caller flushes it); always false without persistence.
    /// </summary>
    public bool OnInboundPersisted()
    {
        lock (SyncRoot)
        {
            return _persistence is not null && _attachment != Detached && _inbound.HasPendingAckWithin(Persisted);
        }
    }
}
