using Tether.Link;
using Tether.Protocol;

namespace Tether.Sessions;

/// <summary>
/// The state of one reliable session, on either side, that outlives its connections: the replay buffer of what this
/// side sent and the peer has not acknowledged, the receive sequence, the attached link (if any), and the callers
/// waiting for room or for an ack. One lock serialises it; it is always taken before the transport's send lock, never
/// after, so sends, acks and the replay on resume come out in sequence order.
/// </summary>
internal sealed class ReliableSession
{
    private readonly ReplayBuffer _outbound = new();
    private readonly InboundSequence _inbound;
    private readonly SessionSettings _settings;
    private PeerLink? _link;
    private TaskCompletionSource? _roomWaiter;
    private Queue<(ulong Sequence, TaskCompletionSource Done)>? _ackWaiters;
    private SessionLostInfo? _lost;
    private int _peerMaxFrame = ProtocolConstants.MinMaxFrameSize;

    // The monitor of this object guards the session: a separate Lock would cost 40 bytes per idle session.
    private object SyncRoot => this;

    public ReliableSession(SessionId id, SessionSettings settings)
    {
        Id = id;
        _settings = settings;
        _inbound = new InboundSequence(settings.Ack);
    }

    public SessionId Id { get; }

    /// <summary>The link the session is attached to, or null while detached.</summary>
    public PeerLink? Link
    {
        get
        {
            lock (SyncRoot)
            {
                return _link;
            }
        }
    }

    /// <summary>Set once the session is discarded: nothing is sent or accepted any more.</summary>
    public SessionLostInfo? Lost => Volatile.Read(ref _lost);

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

    /// <summary>
    /// Accepts <paramref name="payload"/> into the session and, when attached, queues it on the link. Returns
    /// <see cref="SendResult.Full"/> when it does not fit in the replay buffer (unless <paramref name="overLimit"/>), and
    /// <see cref="SendResult.Closed"/> once the session is lost.
    /// </summary>
    public SendResult TrySend(ReadOnlySpan<byte> payload, bool overLimit, out ulong sequence)
    {
        sequence = 0;
        lock (SyncRoot)
        {
            if (_lost is not null)
            {
                return SendResult.Closed;
            }

            if (payload.Length + 16 > _peerMaxFrame)
            {
                return SendResult.TooLarge;
            }

            if (!overLimit && _outbound.Count > 0 && _outbound.Bytes + payload.Length > _settings.MaxUnacknowledgedBytes)
            {
                return SendResult.Full;
            }

            sequence = _outbound.Append(payload);
            if (_link is { } link)
            {
                using var scope = link.Transport.BeginSend();
                if (scope.CanSend && !link.IsClosing)
                {
                    WriteData(link, scope.Writer, sequence, payload, default);
                }
            }
        }

        return SendResult.Queued;
    }

    /// <summary>The largest payload the current (or last) peer accepts.</summary>
    public int MaxPayload => Volatile.Read(ref _peerMaxFrame) - 16;

    /// <summary>Completes when an ack frees room, the session is attached again, or it is lost.</summary>
    public Task WaitForRoomAsync(CancellationToken cancellationToken)
    {
        lock (SyncRoot)
        {
            if (_lost is not null || _outbound.Count == 0)
            {
                return Task.CompletedTask;
            }

            _roomWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _roomWaiter.Task.WaitAsync(cancellationToken);
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

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            (_ackWaiters ??= new()).Enqueue((sequence, done));
            return done.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Attaches <paramref name="link"/>: frees what the peer says it has (<paramref name="peerLastReceived"/>), lets
    /// <paramref name="writeHandshake"/> queue the handshake frame (the server's WELCOME) first, then queues every
    /// message the peer lacks, in order. The caller has checked that <paramref name="peerLastReceived"/> is between
    /// <see cref="LastAcknowledged"/> and <see cref="LastSent"/>; the handshake callback gets our own receive
    /// position (and <paramref name="state"/>, so that it need not be a closure). Returns how many messages were resent.
    /// </summary>
    public int Attach<TState>(PeerLink link, ulong peerLastReceived, int peerMaxFrame, TState state, Action<PeerLink, ulong, TState>? writeHandshake)
    {
        lock (SyncRoot)
        {
            Acknowledge(peerLastReceived);
            writeHandshake?.Invoke(link, _inbound.LastReceived, state);
            Volatile.Write(ref _peerMaxFrame, peerMaxFrame);
            // The handshake carried our receive position, so the peer needs no separate ack for it.
            _inbound.MarkAcknowledgedInHandshake();
            var resent = 0;
            using (var scope = link.Transport.BeginSend())
            {
                if (scope.CanSend)
                {
                    foreach (var entry in _outbound)
                    {
                        WriteData(link, scope.Writer, entry.Sequence, entry.First, entry.Second);
                        resent++;
                    }
                }
            }

            _link = link;
            link.Session = this;
            WakeRoomWaiter();
            return resent;
        }
    }

    /// <summary>Detaches <paramref name="link"/> if it is the attached one; its frames no longer count.</summary>
    public bool Detach(PeerLink link)
    {
        lock (SyncRoot)
        {
            if (!ReferenceEquals(_link, link))
            {
                return false;
            }

            _link = null;

            // Nobody visits a detached session until it resumes or expires: give back arrays that hold nothing now.
            _outbound.ReleaseIfEmpty();
            return true;
        }
    }

    /// <summary>
    /// Classifies a DATA frame from <paramref name="link"/>. A frame from a link that is no longer attached (taken
    /// over) is treated as a duplicate: the new link will carry it. <paramref name="ackDue"/> says an ack must go now;
    /// <paramref name="ackDeadline"/> is set when this delivery started a pending ack.
    /// </summary>
    public SequenceVerdict OnData(PeerLink link, ulong sequence, int payloadBytes, out bool ackDue, out long ackDeadline)
    {
        ackDue = false;
        ackDeadline = long.MaxValue;
        lock (SyncRoot)
        {
            if (!ReferenceEquals(_link, link))
            {
                return SequenceVerdict.Duplicate;
            }

            var verdict = _inbound.Classify(sequence);
            switch (verdict)
            {
                case SequenceVerdict.Deliver:
                    var wasPending = _inbound.HasPendingAck;
                    ackDue = _inbound.OnDelivered(payloadBytes, _settings.Time.GetTimestamp());
                    if (!wasPending)
                    {
                        ackDeadline = _inbound.AckDeadline;
                    }

                    break;
                case SequenceVerdict.Duplicate:
                    _inbound.OnDuplicate();
                    break;
            }

            return verdict;
        }
    }

    /// <summary>An ack from <paramref name="link"/>; throws a protocol error for an ack of something never sent.</summary>
    public void OnAck(PeerLink link, ulong ack)
    {
        lock (SyncRoot)
        {
            if (!ReferenceEquals(_link, link))
            {
                return;
            }

            if (Acknowledge(ack) == AckOutcome.BeyondLastSent)
            {
                throw new TetherProtocolException(CloseCode.ProtocolError, $"ack {ack} is beyond the last sequence sent ({_outbound.LastSequence})");
            }
        }
    }

    /// <summary>
    /// Sends the pending ack on <paramref name="link"/> if one is pending and (unless <paramref name="force"/>) its
    /// deadline has passed; returns the next deadline, or <see cref="long.MaxValue"/>.
    /// </summary>
    public long FlushAck(PeerLink link, bool force, long now)
    {
        lock (SyncRoot)
        {
            if (!ReferenceEquals(_link, link) || !_inbound.HasPendingAck)
            {
                return long.MaxValue;
            }

            if (!force && now < _inbound.AckDeadline)
            {
                return _inbound.AckDeadline;
            }

            using var scope = link.Transport.BeginSend();
            if (scope.CanSend)
            {
                link.WriteAck(scope.Writer, _inbound.TakeAck());
            }

            return long.MaxValue;
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
            _link = null;
            WakeRoomWaiter();
            if (_ackWaiters is { } waiters)
            {
                while (waiters.TryDequeue(out var waiter))
                {
                    waiter.Done.TrySetException(NotAcknowledged(lost));
                }
            }

            return lost;
        }
    }

    private static TetherException NotAcknowledged(SessionLostInfo lost) =>
        new($"session {lost.SessionId} was lost ({lost.Reason}) before the peer acknowledged the message; it may not have been delivered");

    private AckOutcome Acknowledge(ulong ack)
    {
        var outcome = _outbound.Acknowledge(ack);
        if (outcome != AckOutcome.Freed)
        {
            return outcome;
        }

        WakeRoomWaiter();
        if (_ackWaiters is { } waiters)
        {
            while (waiters.TryPeek(out var head) && head.Sequence <= ack)
            {
                waiters.Dequeue().Done.TrySetResult();
            }
        }

        return outcome;
    }

    private void WakeRoomWaiter()
    {
        var waiter = _roomWaiter;
        _roomWaiter = null;
        waiter?.TrySetResult();
    }

    private void WriteData(PeerLink link, System.Buffers.IBufferWriter<byte> writer, ulong sequence, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
    {
        var flags = DataFlags.Sequence;
        ulong ack = 0;
        if (_inbound.HasPendingAck)
        {
            flags |= DataFlags.Ack;
            ack = _inbound.TakeAck();
        }

        var length = first.Length + second.Length;
        var total = FrameWriter.DataLength(length, flags);
        var span = writer.GetSpan(total);
        var header = FrameWriter.WriteDataHeader(span, length, flags, sequence, ack);
        first.CopyTo(span[header..]);
        second.CopyTo(span[(header + first.Length)..]);
        writer.Advance(total);
        link.OnDataWritten();
    }
}
