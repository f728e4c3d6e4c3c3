package dev.tether.client;

import java.util.List;

/** The session's numbering, receipt rules, ack timing and replay buffer (section 10). */
public final class ClientSessionTest {
    private static ClientSession session() {
        return new ClientSession(new byte[16], 32, 64 * 1024, 1000);
    }

    public void testMessagesAreNumberedFromOne() {
        ClientSession s = session();
        Check.equal(1L, s.append("a".getBytes()), "first seq");
        Check.equal(2L, s.append("b".getBytes()), "second seq");
        Check.equal(2, s.unacknowledgedCount(), "held for replay");
    }

    public void testInOrderIsDeliveredDuplicatesDroppedGapsAndSeqZeroRefused() throws Exception {
        ClientSession s = session();
        Check.equal(ClientSession.Receipt.DELIVER, s.receive(1, 1), "seq 1");
        Check.equal(ClientSession.Receipt.DELIVER, s.receive(2, 1), "seq 2");
        Check.equal(ClientSession.Receipt.DUPLICATE, s.receive(1, 1), "seq 1 again");
        Check.equal(ClientSession.Receipt.DUPLICATE, s.receive(2, 1), "seq 2 again");
        Check.equal(2L, s.lastReceivedSeq(), "lastReceivedSeq");
        Check.equal(CloseCodes.PROTOCOL_ERROR, Check.fails(ProtocolException.class, () -> s.receive(4, 1)).closeCode(),
            "gap");
        Check.equal(CloseCodes.PROTOCOL_ERROR, Check.fails(ProtocolException.class, () -> s.receive(0, 1)).closeCode(),
            "seq 0 (D14)");
    }

    public void testAckIsDueAfter32MessagesOr64KiB() throws Exception {
        ClientSession s = session();
        for (int seq = 1; seq <= 31; seq++) {
            s.receive(seq, 10);
        }
        Check.isTrue(!s.ackDueNow(), "31 small messages wait for the ack delay");
        Check.isTrue(s.ackPending(), "but an ack is pending");
        s.receive(32, 10);
        Check.isTrue(s.ackDueNow(), "the 32nd message makes the ack due");
        Check.equal(32L, s.takeAck(), "cumulative ack");
        Check.isTrue(!s.ackPending() && !s.ackDueNow(), "nothing pending after the ack");
        s.receive(33, 64 * 1024);
        Check.isTrue(s.ackDueNow(), "64 KiB make the ack due");
    }

    public void testAcksFreeTheReplayBufferAndAnAckAboveTheHighestSeqIsRefused() throws Exception {
        ClientSession s = session();
        for (int i = 0; i < 5; i++) {
            s.append(new byte[10]);
        }
        Check.equal(3, s.acknowledge(3), "freed by ack 3");
        Check.equal(0, s.acknowledge(2), "an older ack frees nothing");
        Check.equal(2, s.unacknowledgedCount(), "left");
        Check.fails(ProtocolException.class, () -> s.acknowledge(6));
    }

    public void testReplayBufferIsBounded() {
        ClientSession s = session();
        Check.isTrue(s.hasRoomFor(5000), "an empty buffer takes any message");
        s.append(new byte[600]);
        Check.isTrue(s.hasRoomFor(400), "up to the bound");
        Check.isTrue(!s.hasRoomFor(401), "not beyond it");
    }

    public void testResumeReturnsWhatTheServerLacksInOrder() throws Exception {
        ClientSession s = session();
        for (int i = 1; i <= 5; i++) {
            s.append(new byte[] {(byte) i});
        }
        s.acknowledge(1);
        s.receive(1, 1);
        List<ClientSession.Sent> resend = s.resume(3);
        Check.equal(2, resend.size(), "messages to resend");
        Check.equal(4L, resend.get(0).seq(), "first resent seq");
        Check.equal(5L, resend.get(1).seq(), "second resent seq");
        Check.isTrue(!s.ackPending(), "the HELLO carried the ack");
        Check.equal(6L, s.append(new byte[1]), "numbering continues after the highest seq");
    }

    public void testResumeDetectsAClientSideGapAndAnImpossibleServerAck() throws Exception {
        ClientSession s = session();
        for (int i = 1; i <= 5; i++) {
            s.append(new byte[1]);
        }
        s.acknowledge(4);
        Check.equal(null, s.resume(2), "the server lacks 3 and 4, which the client already freed");
        ClientSession t = session();
        t.append(new byte[1]);
        Check.fails(ProtocolException.class, () -> t.resume(2));
    }
}
