using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Tether.Sessions;

namespace Tether.Tests.Sessions;

/// <summary>
/// Property-based checks of <see cref="InboundSequence"/>: classification of incoming sequence numbers (protocol
/// section 10.3) and when an ack is due (section 10.4), alone and in arbitrary interleavings against
/// <see cref="InboundModel"/>.
/// </summary>
public sealed class InboundSequenceProperties
{
    private static readonly Arbitrary<AckPolicy> Policies = Arb.From(SessionGen.Policy);

    private static readonly Arbitrary<ulong> AnyULong = Arb.From(SessionGen.AnyULong);

    private static readonly Arbitrary<long> Starts = Arb.From(Gen.Choose(0, int.MaxValue).Select(start => (long)start * 4096));

    private static readonly Arbitrary<Delivery[]> Deliveries = Arb.From(
        Gen.ArrayOf(
            from bytes in Gen.Frequency((1, Gen.Constant(0)), (4, Gen.Choose(1, 3000)))
            from elapsed in Gen.Choose(0, 400)
            from takeAck in Gen.Frequency((3, Gen.Constant(false)), (1, Gen.Constant(true)))
            select new Delivery(bytes, elapsed, takeAck)),
        SessionGen.ShrinkByRemoval);

    private static readonly Arbitrary<InboundOp[]> Operations = Arb.From(
        Gen.ArrayOf(Gen.Frequency(
            (8, from target in Gen.Elements(Enum.GetValues<SequenceTarget>())
                from raw in SessionGen.AnyULong
                from bytes in Gen.Frequency((1, Gen.Constant(0)), (4, Gen.Choose(1, 3000)))
                from elapsed in Gen.Choose(0, 400)
                select (InboundOp)new ReceiveOp(target, raw, bytes, elapsed)),
            (2, Gen.Constant<InboundOp>(new TakeAckOp())),
            (1, Gen.Constant<InboundOp>(new HandshakeOp())))),
        SessionGen.ShrinkByRemoval);

    private enum SequenceTarget
    {
        /// <summary>LastReceived + 1.</summary>
        Next,

        /// <summary>0 .. LastReceived.</summary>
        Duplicate,

        /// <summary>LastReceived + 2 and above, up to u64 max.</summary>
        Gap,

        /// <summary>Any value near the received range.</summary>
        Anywhere,
    }

    [Property]
    public Property Only_the_next_sequence_number_is_delivered_lower_ones_are_duplicates_higher_ones_gaps() =>
        Prop.ForAll(Arb.From(Gen.Choose(0, 300)), AnyULong, (delivered, sequence) =>
        {
            var inbound = new InboundSequence(new AckPolicy(int.MaxValue, long.MaxValue, 1000));
            for (var i = 0; i < delivered; i++)
            {
                inbound.OnDelivered(10, i);
            }

            var last = (ulong)delivered;
            var expected = sequence == last + 1 ? SequenceVerdict.Deliver
                : sequence <= last ? SequenceVerdict.Duplicate
                : SequenceVerdict.Gap;

            Assert.Equal(expected, inbound.Classify(sequence));
            Assert.Equal(SequenceVerdict.Deliver, inbound.Classify(last + 1));
            Assert.Equal(SequenceVerdict.Duplicate, inbound.Classify(last));
            Assert.Equal(SequenceVerdict.Duplicate, inbound.Classify(0));
            Assert.Equal(SequenceVerdict.Gap, inbound.Classify(last + 2));
            Assert.Equal(SequenceVerdict.Gap, inbound.Classify(ulong.MaxValue));

            // Classifying is a question, not a delivery.
            Assert.Equal(last, inbound.LastReceived);
            Assert.Equal(0, inbound.Duplicates);
        });

    [Property]
    public Property An_ack_is_due_exactly_when_unacked_messages_or_bytes_reach_the_policy() =>
        Prop.ForAll(Policies, Deliveries, (policy, deliveries) =>
        {
            var inbound = new InboundSequence(policy);
            var messages = 0;
            var bytes = 0L;
            var now = 0L;
            foreach (var delivery in deliveries)
            {
                now += delivery.Elapsed;
                messages++;
                bytes += delivery.Bytes;
                var due = messages >= policy.AfterMessages || bytes >= policy.AfterBytes;

                Assert.Equal(due, inbound.OnDelivered(delivery.Bytes, now));
                Assert.True(inbound.HasPendingAck);

                // The session sends the ack when it is due, or sooner (piggy-backed on DATA); sometimes it is late.
                if (delivery.TakeAck)
                {
                    inbound.TakeAck();
                    messages = 0;
                    bytes = 0;
                }
            }
        });

    [Property]
    public Property The_ack_deadline_is_the_first_unacked_delivery_plus_the_delay() =>
        Prop.ForAll(Policies, Starts, Deliveries, (policy, start, deliveries) =>
        {
            var inbound = new InboundSequence(policy);
            Assert.Equal(long.MaxValue, inbound.AckDeadline);
            var now = start;
            long? firstUnacked = null;
            foreach (var delivery in deliveries)
            {
                now += delivery.Elapsed;
                firstUnacked ??= now;
                inbound.OnDelivered(delivery.Bytes, now);
                Assert.Equal(firstUnacked.Value + policy.DelayTimestamps, inbound.AckDeadline);

                if (delivery.TakeAck)
                {
                    inbound.TakeAck();
                    firstUnacked = null;
                    Assert.Equal(long.MaxValue, inbound.AckDeadline);
                }
            }
        });

    [Property]
    public Property TakeAck_returns_last_received_and_clears_the_pending_state() =>
        Prop.ForAll(Policies, Deliveries, (policy, deliveries) =>
        {
            var inbound = new InboundSequence(policy);
            Assert.False(inbound.HasPendingAck);
            Assert.Equal(0UL, inbound.TakeAck());

            var now = 0L;
            foreach (var delivery in deliveries)
            {
                inbound.OnDelivered(delivery.Bytes, now += delivery.Elapsed);
            }

            var last = (ulong)deliveries.Length;
            Assert.Equal(deliveries.Length > 0, inbound.HasPendingAck);
            Assert.Equal(last, inbound.TakeAck());
            AssertNothingPending(inbound, last);

            // Taking it again acknowledges the same position and stays clear; so does the handshake form.
            Assert.Equal(last, inbound.TakeAck());
            AssertNothingPending(inbound, last);
            inbound.MarkAcknowledgedInHandshake();
            AssertNothingPending(inbound, last);

            // The counts restarted: the next ack is due only when the thresholds are reached again.
            if (policy.AfterMessages > 1 && policy.AfterBytes > 1)
            {
                Assert.False(inbound.OnDelivered(1, now));
                Assert.Equal(now + policy.DelayTimestamps, inbound.AckDeadline);
            }
        });

    [Property]
    public Property The_handshake_position_counts_as_an_ack() => Prop.ForAll(Policies, Deliveries, (policy, deliveries) =>
    {
        var inbound = new InboundSequence(policy);
        var now = 0L;
        foreach (var delivery in deliveries)
        {
            inbound.OnDelivered(delivery.Bytes, now += delivery.Elapsed);
        }

        inbound.MarkAcknowledgedInHandshake();

        AssertNothingPending(inbound, (ulong)deliveries.Length);
    });

    [Property(MaxTest = 200)]
    public Property Any_interleaving_of_receives_and_acks_matches_the_model() =>
        Prop.ForAll(Policies, Starts, Operations, (policy, start, operations) =>
        {
            var inbound = new InboundSequence(policy);
            var model = new InboundModel(policy);
            var now = start;
            model.AssertMatches(inbound);
            foreach (var operation in operations)
            {
                switch (operation)
                {
                    case ReceiveOp receive:
                        now += receive.Elapsed;
                        var sequence = Resolve(receive.Target, receive.Raw, model.LastReceived);
                        var verdict = inbound.Classify(sequence);
                        Assert.Equal(model.Classify(sequence), verdict);
                        if (verdict == SequenceVerdict.Deliver)
                        {
                            Assert.Equal(model.OnDelivered(receive.Bytes, now), inbound.OnDelivered(receive.Bytes, now));
                        }
                        else if (verdict == SequenceVerdict.Duplicate)
                        {
                            model.OnDuplicate();
                            inbound.OnDuplicate();
                        }

                        break;
                    case TakeAckOp:
                        Assert.Equal(model.TakeAck(), inbound.TakeAck());
                        break;
                    case HandshakeOp:
                        model.TakeAck();
                        inbound.MarkAcknowledgedInHandshake();
                        break;
                }

                model.AssertMatches(inbound);
            }
        });

    private static void AssertNothingPending(InboundSequence inbound, ulong last)
    {
        Assert.Equal(last, inbound.LastReceived);
        Assert.Equal(last, inbound.LastAckSent);
        Assert.False(inbound.HasPendingAck);
        Assert.Equal(long.MaxValue, inbound.AckDeadline);
    }

    private static ulong Resolve(SequenceTarget target, ulong raw, ulong last) => target switch
    {
        SequenceTarget.Next => last + 1,
        SequenceTarget.Duplicate => raw % (last + 1),
        SequenceTarget.Gap => raw % 4 == 0 ? ulong.MaxValue : last + 2 + (raw % 5),
        _ => raw % (last + 4),
    };

    private sealed record Delivery(int Bytes, int Elapsed, bool TakeAck);

    private abstract record InboundOp;

    private sealed record ReceiveOp(SequenceTarget Target, ulong Raw, int Bytes, int Elapsed) : InboundOp;

    private sealed record TakeAckOp : InboundOp;

    private sealed record HandshakeOp : InboundOp;
}
