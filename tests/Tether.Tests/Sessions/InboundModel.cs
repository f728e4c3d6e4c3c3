using Tether.Sessions;

namespace Tether.Tests.Sessions;

/// <summary>
/// The receiving rules of protocol section 10.3-10.4 written out plainly: deliver only the next sequence number, and an
/// ack is due once the messages or bytes delivered since the last ack reach the policy's thresholds, or at the delay
/// after the first of them.
/// </summary>
internal sealed class InboundModel(AckPolicy policy)
{
    private int _unackedMessages;
    private long _unackedBytes;
    private long _firstUnackedAt;

    public ulong LastReceived { get; private set; }

    public ulong LastAckSent { get; private set; }

    public long Duplicates { get; private set; }

    public bool HasPendingAck => _unackedMessages > 0;

    public long AckDeadline => HasPendingAck ? _firstUnackedAt + policy.DelayTimestamps : long.MaxValue;

    public SequenceVerdict Classify(ulong sequence) =>
        sequence <= LastReceived ? SequenceVerdict.Duplicate
        : sequence - LastReceived == 1 ? SequenceVerdict.Deliver
        : SequenceVerdict.Gap;

    public void OnDuplicate() => Duplicates++;

    public bool OnDelivered(int payloadBytes, long now)
    {
        if (_unackedMessages == 0)
        {
            _firstUnackedAt = now;
        }

        LastReceived++;
        _unackedMessages++;
        _unackedBytes += payloadBytes;
        return _unackedMessages >= policy.AfterMessages || _unackedBytes >= policy.AfterBytes;
    }

    public ulong TakeAck()
    {
        _unackedMessages = 0;
        _unackedBytes = 0;
        LastAckSent = LastReceived;
        return LastReceived;
    }

    public void AssertMatches(InboundSequence inbound)
    {
        Assert.Equal(LastReceived, inbound.LastReceived);
        Assert.Equal(LastAckSent, inbound.LastAckSent);
        Assert.Equal(HasPendingAck, inbound.HasPendingAck);
        Assert.Equal(AckDeadline, inbound.AckDeadline);
        Assert.Equal(Duplicates, inbound.Duplicates);
    }
}
