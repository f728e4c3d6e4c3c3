using System.Buffers;
using Tether.Protocol;

namespace Tether.Sessions;

/// <summary>
/// One reliable session, on either side, as a state machine that outlives its connections and knows none of them: the
/// replay buffer of what this side sent and the peer has not acknowledged, the receive sequence, and the callers
/// waiting for room or for an ack. Its inputs are a send requested, DATA and ACK received, a link attached or
/// detached, and the ack timer; its outputs are the frames it writes into the <see cref="IBufferWriter{T}"/> the caller
/// passes (the link's outbound buffer), the verdicts it returns, and the waiters it releases.
/// </summary>
/// <remarks>
/// <para>
/// An attachment is a number, not a reference: <see cref="Attach"/> starts a new one, and every input that comes
/// through a link names the attachment it came through, so input from a link the session has since left (taken over,
/// detached) is recognised and ignored.
/// </para>
/// <para>
/// One lock, the session's monitor, serialises it. A caller that passes an output writer already holds that writer's
/// lock (the transport's send lock): the order is always the send lock, then the session lock, and the session takes
/// no other lock, so numbering, writing and piggy-backing the ack happen in one order on the wire.
/// </para>
/// </remarks>
internal sealed partial class ReliableSession
{
    private readonly ReplayBuffer _outbound = new();
    private readonly InboundSequence _inbound;
    private readonly SessionSettings _settings;
    private SessionWaiters? _waiters;
    private SessionLostInfo? _lost;
    private int _attachment;
    private int _lastAttachment;
    private const int SequenceBytes = 8;
    private const int AckBytes = 8;

    private int _peerMaxFrame = ProtocolConstants.MinMaxFrameSize;
    private ISessionPersistence? _persistence;

    // The monitor of this object guards the session: a separate Lock would cost 40 bytes per idle session.
    private object SyncRoot => this;

    public ReliableSession(SessionId id, SessionSettings settings)
    {
        Id = id;
        _settings = settings;
        _inbound = new InboundSequence(settings.Ack);
    }

    /// <summary>The attachment that is no attachment: the session is detached.</summary>
    public const int Detached = 0;

    public SessionId Id { get; }

    /// <summary>Set once the session is discarded: nothing is sent or accepted any more.</summary>
    public SessionLostInfo? Lost => Volatile.Read(ref _lost);

    /// <summary>Where the session's progress is stored beyond this process (cluster mode), or null (a single node).</summary>
    public ISessionPersistence? Persistence => Volatile.Read(ref _persistence);

    /// <summary>The current attachment, or <see cref="Detached"/>.</summary>
    public int Attachment
    {
        get
        {
            lock (SyncRoot)
            {
                return _attachment;
            }
        }
    }

    /// <summary>
    /// The largest payload the current (or last) peer accepts: its maximum DATA body less the sequence number (protocol
    /// section 4.5). An ack that would not fit beside it goes in an ACK frame of its own.
    /// </summary>
    public int MaxPayload => Volatile.Read(ref _peerMaxFrame) - SequenceBytes;

    /// <summary>
    /// Input "send requested" through <paramref name="attachment"/>: numbers <paramref name="payload"/>, keeps a copy
    /// until the peer acknowledges it and, when <paramref name="output"/> is given, writes it there as DATA with the
    /// pending ack piggy-backed. <see cref="SessionSendResult.Moved"/> (nothing changed) when the session is no longer
    /// on that attachment; <see cref="SessionSendResult.Full"/> when it does not fit (unless <paramref name="overLimit"/>).
    /// </summary>
    public SessionSendResult TrySend(int attachment, ReadOnlySpan<byte> payload, bool overLimit, IBufferWriter<byte>? output, out ulong sequence)
    {
        sequence = 0;
        lock (SyncRoot)
        {
            if (_lost is not null)
            {
                return SessionSendResult.Lost;
            }

            if (attachment != _attachment)
            {
                return SessionSendResult.Moved;
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
            if (output is not null)
            {
                WriteData(output, sequence, payload, default);
            }

            return SessionSendResult.Accepted;
        }
    }

    /// <summary>
    /// Input "DATA received" through <paramref name="attachment"/>, with its piggy-backed ack if
    /// <paramref name="hasAck"/>: frees what the ack covers, then judges the sequence number. On delivery,
    /// <paramref name="ackSignal"/> says whether the ack is due now, or whether this delivery started a pending ack due at
    /// <paramref name="ackDeadline"/>. A frame from a link the session has left is a duplicate: the new link carries it.
    /// </summary>
    public ReceiveVerdict OnData(int attachment, ulong sequence, int payloadBytes, bool hasAck, ulong ack, long now, out AckSignal ackSignal, out long ackDeadline)
    {
        ackSignal = AckSignal.None;
        ackDeadline = long.MaxValue;
        lock (SyncRoot)
        {
            if (attachment != _attachment || attachment == Detached)
            {
                return ReceiveVerdict.Duplicate;
            }

            if (hasAck && Acknowledge(ack) == AckOutcome.BeyondLastSent)
            {
                return ReceiveVerdict.AckBeyondLastSent;
            }

            switch (_inbound.Classify(sequence))
            {
                case SequenceVerdict.Deliver:
                    var wasPending = _inbound.HasPendingAckWithin(Persisted);
                    var due = _inbound.OnDelivered(payloadBytes, now);
                    _persistence?.OnReceived(_inbound.LastReceived);
                    if (due)
                    {
                        ackSignal = AckSignal.Due;
                    }
                    else if (!wasPending)
                    {
                        ackSignal = AckSignal.Started;
                        ackDeadline = _inbound.AckDeadline;
                    }

                    return ReceiveVerdict.Deliver;
                case SequenceVerdict.Duplicate:
                    _inbound.OnDuplicate();
                    return ReceiveVerdict.Duplicate;
                default:
                    return ReceiveVerdict.Gap;
            }
        }
    }

    /// <summary>Input "ACK received" through <paramref name="attachment"/>; from a link the session has left it changes nothing.</summary>
    public AckOutcome OnAck(int attachment, ulong ack)
    {
        lock (SyncRoot)
        {
            return attachment == _attachment && attachment != Detached ? Acknowledge(ack) : AckOutcome.Stale;
        }
    }

    /// <summary>
    /// Input "ack timer" (or a forced flush before a close): writes the pending ack to <paramref name="output"/> if one is
    /// pending and, unless <paramref name="force"/>, its deadline has passed. Returns the next deadline, or
    /// <see cref="long.MaxValue"/>; <paramref name="written"/> says whether an ACK frame was written.
    /// </summary>
    public long FlushAck(int attachment, bool force, long now, IBufferWriter<byte>? output, out bool written)
    {
        written = false;
        lock (SyncRoot)
        {
            var persisted = Persisted;
            if (attachment != _attachment || attachment == Detached || !_inbound.HasPendingAckWithin(persisted))
            {
                return long.MaxValue;
            }

            if (!force && now < _inbound.AckDeadline)
            {
                return _inbound.AckDeadline;
            }

            if (output is not null)
            {
                FrameWriter.WriteAck(output, _inbound.TakeAckWithin(persisted));
                written = true;
            }

            return long.MaxValue;
        }
    }

    /// <summary>
    /// Input "link attached": frees what the peer says it holds (<paramref name="peerLastReceived"/>, which the caller
    /// has checked is between <see cref="LastAcknowledged"/> and <see cref="LastSent"/>), takes the peer's frame limit,
    /// and starts a new attachment, which it returns; input through any earlier one is stale from now on.
    /// <paramref name="lastReceived"/> is this side's receive position, for the handshake frame: it carries the ack, so
    /// none is pending afterwards. Then <see cref="Replay"/> writes what the peer lacks.
    /// </summary>
    public int Attach(ulong peerLastReceived, int peerMaxFrame, out ulong lastReceived)
    {
        lock (SyncRoot)
        {
            Acknowledge(peerLastReceived);
            var persisted = Persisted;
            lastReceived = _inbound.AckPointWithin(persisted);
            Volatile.Write(ref _peerMaxFrame, peerMaxFrame);
            _inbound.MarkAcknowledgedInHandshake(persisted);
            _attachment = ++_lastAttachment;
            _waiters?.ReleaseRoom();
            return _attachment;
        }
    }

    /// <summary>
    /// Writes every message held (up to <paramref name="through"/>: with persistence, what the store has), oldest first,
    /// as DATA to <paramref name="output"/>; returns how many.
    /// </summary>
    public int Replay(int attachment, IBufferWriter<byte> output, ulong through = ulong.MaxValue)
    {
        lock (SyncRoot)
        {
            if (attachment != _attachment)
            {
                return 0;
            }

            var resent = 0;
            foreach (var entry in _outbound)
            {
                if (entry.Sequence > through)
                {
                    break;
                }

                WriteData(output, entry.Sequence, entry.First, entry.Second);
                resent++;
            }

            return resent;
        }
    }

    /// <summary>Input "link detached": ends <paramref name="attachment"/> if it is the current one.</summary>
    public bool Detach(int attachment)
    {
        lock (SyncRoot)
        {
            if (attachment != _attachment || attachment == Detached)
            {
                return false;
            }

            _attachment = Detached;

            // Nobody visits a detached session until it resumes or expires: give back arrays that hold nothing now.
            _outbound.ReleaseIfEmpty();
            return true;
        }
    }

    /// <summary>Gives the replay buffer's arrays back when the session has been quiet since the previous call.</summary>
    public void TrimIfIdle()
    {
        lock (SyncRoot)
        {
            _outbound.TrimIfUnused();
        }
    }

    /// <summary>
    /// Discards the session: waiters fail, nothing more is accepted. Returns what was lost (the first call decides),
    /// with a copy of the unacknowledged payloads when <paramref name="keepPayloads"/> is set.
    /// </summary>
    public SessionLostInfo MarkLost(SessionLostReason reason, string? clientId, long? peerReportedLost, string description, bool keepPayloads, out IReadOnlyList<ReadOnlyMemory<byte>> unacknowledged)
    {
        unacknowledged = [];
        lock (SyncRoot)
        {
            if (_lost is { } already)
            {
                return already;
            }

            var lost = new SessionLostInfo
            {
                SessionId = Id,
                Reason = reason,
                ClientId = clientId,
                UnacknowledgedSent = _outbound.Count,
                PeerReportedLost = peerReportedLost,
                Description = description,
            };
            if (keepPayloads)
            {
                unacknowledged = _outbound.CopyAll();
            }

            _outbound.Clear();
            Volatile.Write(ref _lost, lost);
            _attachment = Detached;
            _waiters?.FailAll(NotAcknowledged(lost));
            return lost;
        }
    }

    private static TetherException NotAcknowledged(SessionLostInfo lost) =>
        new($"session {lost.SessionId} was lost ({lost.Reason}) before the peer acknowledged the message; it may not have been delivered");

    private AckOutcome Acknowledge(ulong ack)
    {
        var outcome = _outbound.Acknowledge(ack);
        if (outcome == AckOutcome.Freed)
        {
            _persistence?.OnAcknowledged(ack);
        }

        if (outcome == AckOutcome.Freed && _waiters is { } waiters)
        {
            waiters.ReleaseRoom();
            waiters.ReleaseAcknowledged(ack);
        }

        return outcome;
    }

    private void WriteData(IBufferWriter<byte> output, ulong sequence, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
    {
        var flags = DataFlags.Sequence;
        ulong ack = 0;
        var persisted = Persisted;
        var length = first.Length + second.Length;
        if (_inbound.HasPendingAckWithin(persisted))
        {
            if (length + SequenceBytes + AckBytes <= Volatile.Read(ref _peerMaxFrame))
            {
                flags |= DataFlags.Ack;
                ack = _inbound.TakeAckWithin(persisted);
            }
            else
            {
                // Only the ack would make the frame too large: it goes first, on its own.
                FrameWriter.WriteAck(output, _inbound.TakeAckWithin(persisted));
            }
        }

        var total = FrameWriter.DataLength(length, flags);
        var span = output.GetSpan(total);
        var header = FrameWriter.WriteDataHeader(span, length, flags, sequence, ack);
        first.CopyTo(span[header..]);
        second.CopyTo(span[(header + first.Length)..]);
        output.Advance(total);
    }
}
