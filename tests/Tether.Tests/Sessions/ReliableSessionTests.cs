using System.Buffers;
using Microsoft.Extensions.Time.Testing;
using Tether.Protocol;
using Tether.Sessions;

namespace Tether.Tests.Sessions;

/// <summary>
/// The session as a state machine, without links or sockets: inputs go in (send, data, ack, attach, detach, ack timer),
/// and what comes out is checked: the frames written to the output, the verdicts, the waiters released.
/// </summary>
public class ReliableSessionTests
{
    private const int PeerMaxFrame = 1024;

    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void A_send_while_attached_writes_numbered_data_and_a_send_while_detached_writes_nothing()
    {
        var session = NewSession();
        var attachment = session.Attach(0, PeerMaxFrame, out _);
        var output = new ArrayBufferWriter<byte>();

        Assert.Equal(SessionSendResult.Accepted, session.TrySend(attachment, "one"u8, overLimit: false, output, out var first));
        Assert.Equal(1UL, first);
        Assert.True(session.Detach(attachment));
        Assert.Equal(SessionSendResult.Accepted, session.TrySend(ReliableSession.Detached, "two"u8, overLimit: false, null, out var second));

        Assert.Equal(2UL, second);
        var frame = Assert.Single(Frames(output));
        Assert.Equal((1UL, false, 0UL, "one"), frame);
        Assert.Equal(2, session.UnacknowledgedCount);
    }

    [Fact]
    public void A_send_naming_an_attachment_the_session_has_left_changes_nothing()
    {
        var session = NewSession();
        var old = session.Attach(0, PeerMaxFrame, out _);
        var current = session.Attach(0, PeerMaxFrame, out _);
        var output = new ArrayBufferWriter<byte>();

        Assert.NotEqual(old, current);
        Assert.Equal(SessionSendResult.Moved, session.TrySend(old, "x"u8, overLimit: false, output, out _));
        Assert.Equal(SessionSendResult.Moved, session.TrySend(ReliableSession.Detached, "x"u8, overLimit: false, null, out _));
        Assert.Equal(0, output.WrittenCount);
        Assert.Equal(0UL, session.LastSent);
    }

    [Fact]
    public void Attaching_frees_what_the_peer_has_and_replays_the_rest_in_order_after_the_handshake_frame()
    {
        var session = NewSession();
        var first = session.Attach(0, PeerMaxFrame, out _);
        session.TrySend(first, "a"u8, overLimit: false, null, out _);
        session.TrySend(first, "b"u8, overLimit: false, null, out _);
        session.TrySend(first, "c"u8, overLimit: false, null, out _);
        Deliver(session, first, 1);
        session.Detach(first);

        var second = session.Attach(peerLastReceived: 1, PeerMaxFrame, out var lastReceived);
        var output = new ArrayBufferWriter<byte>();
        var resent = session.Replay(second, output);

        Assert.Equal(1UL, lastReceived);
        Assert.Equal(2, resent);
        Assert.Equal(1UL, session.LastAcknowledged);

        // The handshake carried the receive position: the replayed frames carry no ack.
        Assert.Equal([(2UL, false, 0UL, "b"), (3UL, false, 0UL, "c")], Frames(output));
    }

    [Fact]
    public void A_delivery_starts_a_pending_ack_which_the_next_send_carries()
    {
        var session = NewSession();
        var attachment = session.Attach(0, PeerMaxFrame, out _);

        var verdict = session.OnData(attachment, 1, 10, hasAck: false, 0, _time.GetTimestamp(), out var signal, out var deadline);
        Assert.Equal(ReceiveVerdict.Deliver, verdict);
        Assert.Equal(AckSignal.Started, signal);
        Assert.Equal(_time.GetTimestamp() + (long)(0.2 * _time.TimestampFrequency), deadline);

        Assert.Equal(ReceiveVerdict.Deliver, session.OnData(attachment, 2, 10, hasAck: false, 0, _time.GetTimestamp(), out signal, out _));
        Assert.Equal(AckSignal.None, signal);

        var output = new ArrayBufferWriter<byte>();
        session.TrySend(attachment, "reply"u8, overLimit: false, output, out _);
        Assert.Equal((1UL, true, 2UL, "reply"), Assert.Single(Frames(output)));
        Assert.Equal(long.MaxValue, session.FlushAck(attachment, force: true, _time.GetTimestamp(), output, out var written));
        Assert.False(written);
    }

    [Fact]
    public void The_ack_is_due_at_the_message_threshold_and_otherwise_at_its_deadline()
    {
        var session = NewSession(ackAfterMessages: 3);
        var attachment = session.Attach(0, PeerMaxFrame, out _);
        Deliver(session, attachment, 2);
        Assert.Equal(ReceiveVerdict.Deliver, session.OnData(attachment, 3, 1, hasAck: false, 0, _time.GetTimestamp(), out var signal, out _));
        Assert.Equal(AckSignal.Due, signal);
        var output = new ArrayBufferWriter<byte>();
        session.FlushAck(attachment, force: true, _time.GetTimestamp(), output, out var written);
        Assert.True(written);
        Assert.Equal(3UL, ReadAck(output));

        session.OnData(attachment, 4, 1, hasAck: false, 0, _time.GetTimestamp(), out _, out var deadline);
        output.Clear();
        Assert.Equal(deadline, session.FlushAck(attachment, force: false, deadline - 1, output, out written));
        Assert.False(written);
        Assert.Equal(long.MaxValue, session.FlushAck(attachment, force: false, deadline, output, out written));
        Assert.True(written);
        Assert.Equal(4UL, ReadAck(output));
    }

    [Fact]
    public void Sequence_numbers_are_judged_and_input_from_a_left_attachment_is_a_duplicate()
    {
        var session = NewSession();
        var attachment = session.Attach(0, PeerMaxFrame, out _);
        var now = _time.GetTimestamp();

        Assert.Equal(ReceiveVerdict.Deliver, session.OnData(attachment, 1, 1, false, 0, now, out _, out _));
        Assert.Equal(ReceiveVerdict.Duplicate, session.OnData(attachment, 1, 1, false, 0, now, out _, out _));
        Assert.Equal(ReceiveVerdict.Gap, session.OnData(attachment, 3, 1, false, 0, now, out _, out _));
        Assert.Equal(1, session.DuplicatesDropped);

        session.Detach(attachment);
        Assert.Equal(ReceiveVerdict.Duplicate, session.OnData(attachment, 2, 1, false, 0, now, out _, out _));
        Assert.Equal(1UL, session.LastReceived);
    }

    [Fact]
    public void Acks_free_the_replay_buffer_release_waiters_and_one_beyond_the_last_sent_is_refused()
    {
        var session = NewSession();
        var attachment = session.Attach(0, PeerMaxFrame, out _);
        session.TrySend(attachment, "a"u8, overLimit: false, null, out _);
        session.TrySend(attachment, "b"u8, overLimit: false, null, out var second);
        var acked = session.WaitForAckAsync(second, CancellationToken.None);
        var room = session.WaitForRoomAsync(CancellationToken.None);

        Assert.Equal(AckOutcome.Freed, session.OnAck(attachment, 1));
        Assert.True(room.IsCompleted);
        Assert.False(acked.IsCompleted);
        Assert.Equal(ReceiveVerdict.Deliver, session.OnData(attachment, 1, 1, hasAck: true, 2, _time.GetTimestamp(), out _, out _));
        Assert.True(acked.IsCompleted);
        Assert.Equal(0, session.UnacknowledgedCount);

        Assert.Equal(AckOutcome.BeyondLastSent, session.OnAck(attachment, 3));
        Assert.Equal(ReceiveVerdict.AckBeyondLastSent, session.OnData(attachment, 2, 1, hasAck: true, 3, _time.GetTimestamp(), out _, out _));
        Assert.Equal(AckOutcome.Stale, session.OnAck(attachment + 1, 2));
    }

    [Fact]
    public void A_full_replay_buffer_refuses_a_message_unless_it_is_over_the_limit_on_purpose()
    {
        var session = NewSession(maxUnacknowledgedBytes: 8);
        var attachment = session.Attach(0, PeerMaxFrame, out _);

        Assert.Equal(SessionSendResult.Accepted, session.TrySend(attachment, "12345"u8, overLimit: false, null, out _));
        Assert.Equal(SessionSendResult.Full, session.TrySend(attachment, "12345"u8, overLimit: false, null, out _));
        Assert.Equal(SessionSendResult.Accepted, session.TrySend(attachment, "12345"u8, overLimit: true, null, out _));
        Assert.Equal(SessionSendResult.TooLarge, session.TrySend(attachment, new byte[PeerMaxFrame], overLimit: true, null, out _));
    }

    [Fact]
    public async Task A_lost_session_fails_its_ack_waiters_and_accepts_nothing()
    {
        var session = NewSession();
        var attachment = session.Attach(0, PeerMaxFrame, out _);
        session.TrySend(attachment, "a"u8, overLimit: false, null, out var sequence);
        var acked = session.WaitForAckAsync(sequence, CancellationToken.None);

        var lost = session.MarkLost(SessionLostReason.Expired, "c", null, "gone", keepPayloads: true, out var unacknowledged);

        Assert.Equal(1, lost.UnacknowledgedSent);
        Assert.Equal("a"u8.ToArray(), Assert.Single(unacknowledged).ToArray());
        await Assert.ThrowsAsync<TetherException>(() => acked);
        Assert.Equal(SessionSendResult.Lost, session.TrySend(ReliableSession.Detached, "b"u8, overLimit: false, null, out _));
        Assert.Same(lost, session.MarkLost(SessionLostReason.Overflow, "c", null, "again", keepPayloads: false, out _));
    }

    private ReliableSession NewSession(int ackAfterMessages = 32, int maxUnacknowledgedBytes = 1 << 20) =>
        new(SessionId.NewRandom(), new SessionSettings(
            new SessionOptions { AckAfterMessages = ackAfterMessages, MaxUnacknowledgedBytes = maxUnacknowledgedBytes, AckDelay = TimeSpan.FromMilliseconds(200) },
            _time));

    private void Deliver(ReliableSession session, int attachment, int count)
    {
        for (var i = 0; i < count; i++)
        {
            Assert.Equal(ReceiveVerdict.Deliver, session.OnData(attachment, session.LastReceived + 1, 1, hasAck: false, 0, _time.GetTimestamp(), out _, out _));
        }
    }

    private static List<(ulong Sequence, bool HasAck, ulong Ack, string Payload)> Frames(ArrayBufferWriter<byte> output)
    {
        var frames = new List<(ulong, bool, ulong, string)>();
        var buffer = new ReadOnlySequence<byte>(output.WrittenMemory);
        while (TetherFrame.TryRead(ref buffer, PeerMaxFrame, out var frame))
        {
            Assert.Equal(FrameType.Data, frame.Type);
            var data = DataFrame.Parse(frame);
            Assert.True(data.HasSequence);
            frames.Add((data.Sequence, data.HasAck, data.Ack, System.Text.Encoding.UTF8.GetString(data.Payload.ToArray())));
        }

        Assert.Equal(0, buffer.Length);
        return frames;
    }

    private static ulong ReadAck(ArrayBufferWriter<byte> output)
    {
        var buffer = new ReadOnlySequence<byte>(output.WrittenMemory);
        Assert.True(TetherFrame.TryRead(ref buffer, PeerMaxFrame, out var frame));
        Assert.Equal(FrameType.Ack, frame.Type);
        return frame.ReadUInt64Body();
    }
}
