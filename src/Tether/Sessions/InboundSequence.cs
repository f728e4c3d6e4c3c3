namespace Tether.Sessions;

/// <summary>
/// The receiving half of a session: which sequence number comes next, and when to acknowledge. Acks are cumulative
/// and batched: one is due after <see cref="AckPolicy.AfterMessages"/> messages or <see cref="AckPolicy.AfterBytes"/>
/// bytes, and otherwise at <see cref="AckDeadline"/> (the delay after the first unacknowledged message). Any DATA this
/// side sends carries the ack for free (<see cref="TakeAck"/>). Not thread-safe: the session serialises access.
/// </summary>
internal sealed class InboundSequence(AckPolicy policy)
{
    private int _unackedMessages;
    private long _unackedBytes;

    /// <summary>Highest sequence number delivered in order (0 before the first).</summary>
    public ulong LastReceived { get; private set; }

    /// <summary>The last value sent to the peer as an ack.</summary>
    public ulong LastAckSent { get; private set; }

    /// <summary>True when something was delivered that the peer has not been told about.</summary>
    public bool HasPendingAck => HasPendingAckWithin(ulong.MaxValue);

    /// <summary>
    /// As <see cref="HasPendingAck"/>, counting only what is stored up to <paramref name="persisted"/> (cluster mode:
    /// acks never go beyond what another node could resume from; <see cref="ulong.MaxValue"/> on a single node).
    /// </summary>
    public bool HasPendingAckWithin(ulong persisted) => AckPointWithin(persisted) > LastAckSent;

    /// <summary>What may be acknowledged: <see cref="LastReceived"/>, but never beyond <paramref name="persisted"/>.</summary>
    public ulong AckPointWithin(ulong persisted) => LastReceived < persisted ? LastReceived : persisted;

    /// <summary>Continues after <paramref name="lastReceived"/> (a session rebuilt from its stored state), all of it acknowledged.</summary>
    public void Restore(ulong lastReceived) => LastReceived = LastAckSent = lastReceived;

    /// <summary>When the pending ack must go out at the latest (timestamp), or <see cref="long.MaxValue"/> if none is pending.</summary>
    public long AckDeadline { get; private set; } = long.MaxValue;

    /// <summary>Messages received and dropped because they had been delivered already (retransmitted after a resume).</summary>
    public long Duplicates { get; private set; }

    /// <summary>Classifies an incoming sequence number: the next one, a duplicate, or a gap.</summary>
    public SequenceVerdict Classify(ulong sequence)
    {
        if (sequence == LastReceived + 1)
        {
            return SequenceVerdict.Deliver;
        }

        return sequence <= LastReceived ? SequenceVerdict.Duplicate : SequenceVerdict.Gap;
    }

    /// <summary>Counts a dropped duplicate.</summary>
    public void OnDuplicate() => Duplicates++;

    /// <summary>
    /// Records the delivery of the next message (<see cref="Classify"/> said <see cref="SequenceVerdict.Deliver"/>);
    /// returns true when an ack is due now.
    /// </summary>
    public bool OnDelivered(int payloadBytes, long now)
    {
        LastReceived++;
        if (_unackedMessages++ == 0)
        {
            AckDeadline = now + policy.DelayTimestamps;
        }

        _unackedBytes += payloadBytes;
        return _unackedMessages >= policy.AfterMessages || _unackedBytes >= policy.AfterBytes;
    }

    /// <summary>The value to acknowledge now; clears the pending state.</summary>
    public ulong TakeAck() => TakeAckWithin(ulong.MaxValue);

    /// <summary>As <see cref="TakeAck"/>, acknowledging nothing beyond <paramref name="persisted"/>.</summary>
    public ulong TakeAckWithin(ulong persisted)
    {
        var ack = AckPointWithin(persisted);
        LastAckSent = ack;
        _unackedMessages = 0;
        _unackedBytes = 0;
        AckDeadline = long.MaxValue;
        return ack;
    }

    /// <summary>
    /// After a resume the peer tells us what it holds; nothing delivered since the last connection's acks needs a
    /// separate ack, as the WELCOME or HELLO carried <see cref="LastReceived"/> (within <paramref name="persisted"/>).
    /// </summary>
    public void MarkAcknowledgedInHandshake(ulong persisted = ulong.MaxValue) => TakeAckWithin(persisted);
}
