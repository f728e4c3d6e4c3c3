package dev.tether.client;

import java.util.List;

/**
 * One decoded frame (section 5). u32 fields are {@code long}s and u64 fields are {@code long}s holding the unsigned
 * value (use {@link Long#toUnsignedString(long)}); optional DATA fields are null when their flag is clear.
 */
public sealed interface Frame {
    int HELLO = 0x01;
    int WELCOME = 0x02;
    int DATA = 0x03;
    int ACK = 0x04;
    int PING = 0x05;
    int PONG = 0x06;
    int GOAWAY = 0x07;
    int CLOSE = 0x08;

    /** Key of the {@code ALTERNATE_ENDPOINT} extension item (GOAWAY, CLOSE). */
    int ALTERNATE_ENDPOINT = 0x0001;

    int type();

    int flags();

    /** An extension item (section 6). */
    record ExtensionItem(int key, byte[] value) {
    }

    record Hello(boolean session, boolean resume, int minVersion, int maxVersion, long heartbeatIntervalMs,
            long heartbeatTimeoutMs, long maxFrameSize, byte[] sessionId, long lastReceivedSeq, String clientId,
            byte[] token, List<ExtensionItem> extensions) implements Frame {
        public int type() {
            return HELLO;
        }

        public int flags() {
            return (session ? 0x01 : 0) | (resume ? 0x02 : 0);
        }
    }

    record Welcome(boolean session, boolean resumed, int version, long heartbeatIntervalMs, long heartbeatTimeoutMs,
            long maxFrameSize, long connectionId, byte[] sessionId, long lastReceivedSeq, int sessionResetReason,
            long lostCount, String serverId, List<ExtensionItem> extensions) implements Frame {
        public int type() {
            return WELCOME;
        }

        public int flags() {
            return (session ? 0x01 : 0) | (resumed ? 0x02 : 0);
        }
    }

    record Data(Long seq, Long ack, byte[] payload) implements Frame {
        public int type() {
            return DATA;
        }

        public int flags() {
            return (seq != null ? 0x01 : 0) | (ack != null ? 0x02 : 0);
        }
    }

    record Ack(long ack) implements Frame {
        public int type() {
            return ACK;
        }

        public int flags() {
            return 0;
        }
    }

    record Ping(long value) implements Frame {
        public int type() {
            return PING;
        }

        public int flags() {
            return 0;
        }
    }

    record Pong(long value) implements Frame {
        public int type() {
            return PONG;
        }

        public int flags() {
            return 0;
        }
    }

    record GoAway(long retryAfterMs, long drainMs, String reason, List<ExtensionItem> extensions) implements Frame {
        public int type() {
            return GOAWAY;
        }

        public int flags() {
            return 0;
        }
    }

    record Close(int code, long retryAfterMs, String reason, List<ExtensionItem> extensions) implements Frame {
        public int type() {
            return CLOSE;
        }

        public int flags() {
            return 0;
        }
    }

    /** An extension frame (types 0x40-0x7F); version 1 defines none, so a client skips them. */
    record Extension(int type, int flags, byte[] body) implements Frame {
    }
}
