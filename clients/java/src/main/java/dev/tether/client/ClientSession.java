package dev.tether.client;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The client's half of a reliable session (section 10), without I/O: numbering, the replay buffer, in-order receipt
 * with duplicates dropped, and when to acknowledge. The owner serialises every call.
 */
final class ClientSession {
    /** A message sent in the session and kept until the server acknowledges it. */
    record Sent(long seq, byte[] payload) {
    }

    enum Receipt { DELIVER, DUPLICATE }

    private final byte[] id;
    private final int ackAfterMessages;
    private final long ackAfterBytes;
    private final long maxUnacknowledgedBytes;
    private final ArrayDeque<Sent> replay = new ArrayDeque<>();
    private long replayBytes;
    private long lastSentSeq;
    private long lastReceivedSeq;
    private long lastAckSent;
    private int unackedMessages;
    private long unackedBytes;

    ClientSession(byte[] id, int ackAfterMessages, long ackAfterBytes, long maxUnacknowledgedBytes) {
        this.id = id.clone();
        this.ackAfterMessages = ackAfterMessages;
        this.ackAfterBytes = ackAfterBytes;
        this.maxUnacknowledgedBytes = maxUnacknowledgedBytes;
    }

    byte[] id() {
        return id.clone();
    }

    String idHex() {
        return Hex.encode(id);
    }

    long lastSentSeq() {
        return lastSentSeq;
    }

    long lastReceivedSeq() {
        return lastReceivedSeq;
    }

    /** Whether a message of {@code length} bytes fits the replay buffer now (an empty buffer takes any message). */
    boolean hasRoomFor(int length) {
        return replay.isEmpty() || replayBytes + length <= maxUnacknowledgedBytes;
    }

    /** Numbers a new message and keeps it for retransmission. */
    long append(byte[] payload) {
        lastSentSeq++;
        replay.addLast(new Sent(lastSentSeq, payload));
        replayBytes += payload.length;
        return lastSentSeq;
    }

    /** Section 10.3: in order is delivered, a duplicate is dropped, a gap or seq 0 (D14) is a protocol error. */
    Receipt receive(long seq, int length) throws ProtocolException {
        if (seq == 0) {
            throw new ProtocolException(CloseCodes.PROTOCOL_ERROR, "DATA with seq 0 in a session");
        }
        if (Long.compareUnsigned(seq, lastReceivedSeq) <= 0) {
            return Receipt.DUPLICATE;
        }
        if (seq != lastReceivedSeq + 1) {
            throw new ProtocolException(CloseCodes.PROTOCOL_ERROR, "sequence gap: received seq "
                + Long.toUnsignedString(seq) + " after " + lastReceivedSeq);
        }
        lastReceivedSeq = seq;
        unackedMessages++;
        unackedBytes += length;
        return Receipt.DELIVER;
    }

    /** Whether enough has arrived since the last ack to acknowledge at once rather than after the ack delay. */
    boolean ackDueNow() {
        return unackedMessages >= ackAfterMessages || unackedBytes >= ackAfterBytes;
    }

    boolean ackPending() {
        return lastReceivedSeq != lastAckSent;
    }

    /** The cumulative ack to send now; the pending counters start over. */
    long takeAck() {
        lastAckSent = lastReceivedSeq;
        unackedMessages = 0;
        unackedBytes = 0;
        return lastReceivedSeq;
    }

    /** Frees everything up to {@code ack}; returns how many messages it freed. */
    int acknowledge(long ack) throws ProtocolException {
        if (Long.compareUnsigned(ack, lastSentSeq) > 0) {
            throw new ProtocolException(CloseCodes.PROTOCOL_ERROR, "ack " + Long.toUnsignedString(ack)
                + " is above the highest seq sent (" + lastSentSeq + ")");
        }
        int freed = 0;
        while (!replay.isEmpty() && replay.peekFirst().seq() <= ack) {
            replayBytes -= replay.pollFirst().payload().length;
            freed++;
        }
        return freed;
    }

    /**
     * A resume was granted with the server's {@code serverLastReceived}: frees what it has and returns what it lacks,
     * to retransmit in order; null when the client no longer holds a message the server lacks (section 10.6 step 4).
     */
    List<Sent> resume(long serverLastReceived) throws ProtocolException {
        if (Long.compareUnsigned(serverLastReceived, lastSentSeq) > 0) {
            throw new ProtocolException(CloseCodes.PROTOCOL_ERROR, "WELCOME lastReceivedSeq "
                + Long.toUnsignedString(serverLastReceived) + " is above the highest seq sent (" + lastSentSeq + ")");
        }
        long firstHeld = replay.isEmpty() ? lastSentSeq + 1 : replay.peekFirst().seq();
        if (serverLastReceived + 1 < firstHeld) {
            return null;
        }
        acknowledge(serverLastReceived);
        // The HELLO carried lastReceivedSeq: the server has that ack already.
        takeAck();
        return new ArrayList<>(replay);
    }

    int unacknowledgedCount() {
        return replay.size();
    }

    List<byte[]> unacknowledgedPayloads() {
        List<byte[]> out = new ArrayList<>(replay.size());
        for (Sent sent : replay) {
            out.add(sent.payload());
        }
        return out;
    }
}
