using System.Buffers;
using Microsoft.Extensions.Time.Testing;
using Tether.Protocol;
using Tether.Sessions;

namespace Tether.Tests.Sessions;

/// <summary>
/// A session whose progress is stored elsewhere (cluster mode) acknowledges only what the store has persisted: the
/// input "inbound persisted up to X" releases the ack, standalone or piggy-backed on DATA, and a WELCOME's
/// last-received is the persisted position too. A rebuilt session continues from its stored state.
/// </summary>
public sealed class SessionPersistenceTests
{
    private const int PeerMaxFrame = 1024;

    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Nothing_received_is_acknowledged_before_the_store_says_it_is_persisted()
    {
        var persistence = new RecordingPersistence();
        var session = NewSession();
        session.UsePersistence(persistence);
        var attachment = session.Attach(0, PeerMaxFrame, out _);

        Deliver(session, attachment, 3);
        var output = new ArrayBufferWriter<byte>();
        session.FlushAck(attachment, force: true, _time.GetTimestamp(), output, out var written);
        Assert.False(written, "nothing persisted yet: no ACK");
        session.TrySend(attachment, "reply"u8, overLimit: false, output, out _);
        Assert.Equal(0UL, ReadData(output).Ack);
        Assert.Equal(3UL, persistence.Received);

        persistence.InboundPersisted = 2;
        Assert.True(session.OnInboundPersisted());
        output.Clear();
        session.FlushAck(attachment, force: true, _time.GetTimestamp(), output, out written);
        Assert.True(written);
        Assert.Equal(2UL, ReadAck(output));

        session.Attach(0, PeerMaxFrame, out var welcomeLastReceived);
        Assert.Equal(2UL, welcomeLastReceived);
    }

    [Fact]
    public void Acknowledgements_from_the_peer_are_reported_to_the_store()
    {
        var persistence = new RecordingPersistence();
        var session = NewSession();
        session.UsePersistence(persistence);
        var attachment = session.Attach(0, PeerMaxFrame, out _);
        session.TrySend(attachment, "a"u8, overLimit: false, null, out _);
        session.TrySend(attachment, "b"u8, overLimit: false, null, out _);

        session.OnAck(attachment, 2);

        Assert.Equal(2UL, persistence.Acknowledged);
    }

    [Fact]
    public void A_restored_session_holds_the_stored_messages_and_continues_numbering_after_them()
    {
        var session = NewSession();
        session.UsePersistence(new RecordingPersistence { InboundPersisted = 9 }); // the store has what it restores
        session.Restore(acknowledged: 4, [new byte[] { 5 }, new byte[] { 6 }], lastReceived: 9);

        Assert.Equal(6UL, session.LastSent);
        Assert.Equal(4UL, session.LastAcknowledged);
        Assert.Equal(9UL, session.LastReceived);
        var attachment = session.Attach(5, PeerMaxFrame, out var lastReceived);
        Assert.Equal(9UL, lastReceived);
        Assert.Equal(1, session.UnacknowledgedCount);
        session.TrySend(attachment, "next"u8, overLimit: false, null, out var sequence);
        Assert.Equal(7UL, sequence);
    }

    [Fact]
    public void Without_a_store_acks_are_due_as_soon_as_messages_are_received()
    {
        var session = NewSession();
        var attachment = session.Attach(0, PeerMaxFrame, out _);
        Deliver(session, attachment, 2);

        var output = new ArrayBufferWriter<byte>();
        session.FlushAck(attachment, force: true, _time.GetTimestamp(), output, out var written);

        Assert.True(written);
        Assert.Equal(2UL, ReadAck(output));
        Assert.False(session.OnInboundPersisted(), "a single node has nothing to wait for");
    }

    private ReliableSession NewSession() =>
        new(SessionId.NewRandom(), new SessionSettings(new SessionOptions { AckAfterMessages = 32, AckDelay = TimeSpan.FromMilliseconds(200) }, _time));

    private void Deliver(ReliableSession session, int attachment, int count)
    {
        for (var i = 0; i < count; i++)
        {
            Assert.Equal(ReceiveVerdict.Deliver, session.OnData(attachment, session.LastReceived + 1, 1, hasAck: false, 0, _time.GetTimestamp(), out _, out _));
        }
    }

    private static DataFrame ReadData(ArrayBufferWriter<byte> output)
    {
        var buffer = new ReadOnlySequence<byte>(output.WrittenMemory);
        Assert.True(TetherFrame.TryRead(ref buffer, PeerMaxFrame, out var frame));
        Assert.Equal(FrameType.Data, frame.Type);
        return DataFrame.Parse(frame);
    }

    private static ulong ReadAck(ArrayBufferWriter<byte> output)
    {
        var buffer = new ReadOnlySequence<byte>(output.WrittenMemory);
        Assert.True(TetherFrame.TryRead(ref buffer, PeerMaxFrame, out var frame));
        Assert.Equal(FrameType.Ack, frame.Type);
        return frame.ReadUInt64Body();
    }

    private sealed class RecordingPersistence : ISessionPersistence
    {
        public ulong Received { get; private set; }

        public ulong Acknowledged { get; private set; }

        public ulong InboundPersisted { get; set; }

        public void OnReceived(ulong lastReceived) => Received = lastReceived;

        public void OnAcknowledged(ulong acknowledged) => Acknowledged = acknowledged;
    }
}
