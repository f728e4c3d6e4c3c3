package dev.tether.client;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Encodes frames and decodes headers and bodies with the frame-level checks of sections 4 to 6. */
public final class FrameCodec {
    public static final int HEADER_SIZE = 6;
    /** The body limit both sides apply until the handshake is over (section 4.5). */
    public static final int HANDSHAKE_MAX_FRAME_SIZE = 8192;
    public static final int MIN_MAX_FRAME_SIZE = 1024;
    public static final int HELLO_FIXED = 46;
    public static final int WELCOME_FIXED = 53;
    private static final byte[] MAGIC = {'T', 'T', 'H', 'R'};

    private FrameCodec() {
    }

    public static boolean isReservedType(int type) {
        return type == 0 || (type >= 0x09 && type <= 0x3F) || type >= 0x80;
    }

    public static boolean isExtensionType(int type) {
        return type >= 0x40 && type <= 0x7F;
    }

    public static String typeName(int type) {
        switch (type) {
            case Frame.HELLO:
                return "HELLO";
            case Frame.WELCOME:
                return "WELCOME";
            case Frame.DATA:
                return "DATA";
            case Frame.ACK:
                return "ACK";
            case Frame.PING:
                return "PING";
            case Frame.PONG:
                return "PONG";
            case Frame.GOAWAY:
                return "GOAWAY";
            case Frame.CLOSE:
                return "CLOSE";
            default:
                return isExtensionType(type) ? "EXTENSION" : String.format("type 0x%02x", type);
        }
    }

    /** The header checks of section 4.6 step 2 that need no connection state; the body is not read yet. */
    public static void checkHeader(int type, int flags, long length, long maxBody) throws ProtocolException {
        if (isReservedType(type)) {
            throw new ProtocolException(CloseCodes.PROTOCOL_ERROR, String.format("reserved frame type 0x%02x", type));
        }
        if (length > maxBody) {
            throw new ProtocolException(CloseCodes.FRAME_TOO_LARGE,
                String.format("%s body of %d bytes exceeds the limit of %d bytes", typeName(type), length, maxBody));
        }
        if (!isExtensionType(type)) {
            int allowed = type == Frame.HELLO || type == Frame.WELCOME || type == Frame.DATA ? 0x03 : 0x00;
            if ((flags & ~allowed) != 0) {
                throw new ProtocolException(CloseCodes.PROTOCOL_ERROR,
                    String.format("reserved flag bits 0x%02x set on %s", flags & ~allowed, typeName(type)));
            }
        }
    }

    /** Decodes one whole frame (header and body), as a receiver whose limit is {@code maxBody}. */
    public static Frame decode(byte[] frame, long maxBody) throws ProtocolException {
        if (frame.length < HEADER_SIZE) {
            throw new ProtocolException(CloseCodes.PROTOCOL_ERROR, "incomplete frame header");
        }
        int type = frame[0] & 0xFF;
        int flags = frame[1] & 0xFF;
        long length = ByteBuffer.wrap(frame, 2, 4).getInt() & 0xFFFFFFFFL;
        checkHeader(type, flags, length, maxBody);
        if (frame.length - HEADER_SIZE != length) {
            throw new ProtocolException(CloseCodes.PROTOCOL_ERROR, "frame length does not match its header");
        }
        byte[] body = new byte[(int) length];
        System.arraycopy(frame, HEADER_SIZE, body, 0, body.length);
        return decodeBody(type, flags, body);
    }

    /** Decodes a body whose header already passed {@link #checkHeader}. */
    public static Frame decodeBody(int type, int flags, byte[] body) throws ProtocolException {
        Body b = new Body(type, body);
        switch (type) {
            case Frame.HELLO:
                return decodeHello(flags, b);
            case Frame.WELCOME:
                return decodeWelcome(flags, b);
            case Frame.DATA: {
                Long seq = (flags & 0x01) != 0 ? b.u64("seq") : null;
                Long ack = (flags & 0x02) != 0 ? b.u64("ack") : null;
                return new Frame.Data(seq, ack, b.rest());
            }
            case Frame.ACK:
                return new Frame.Ack(b.exactU64());
            case Frame.PING:
                return new Frame.Ping(b.exactU64());
            case Frame.PONG:
                return new Frame.Pong(b.exactU64());
            case Frame.GOAWAY: {
                long retryAfter = b.u32("retryAfterMs");
                long drain = b.u32("drainMs");
                String reason = b.utf8(b.u16("reasonLen"), "reason");
                return new Frame.GoAway(retryAfter, drain, reason, b.extensions());
            }
            case Frame.CLOSE: {
                int code = b.u16("code");
                long retryAfter = b.u32("retryAfterMs");
                String reason = b.utf8(b.u16("reasonLen"), "reason");
                return new Frame.Close(code, retryAfter, reason, b.extensions());
            }
            default:
                return new Frame.Extension(type, flags, body);
        }
    }

    private static Frame.Hello decodeHello(int flags, Body b) throws ProtocolException {
        boolean session = (flags & 0x01) != 0;
        boolean resume = (flags & 0x02) != 0;
        byte[] magic = b.bytes(4, "magic");
        if (!java.util.Arrays.equals(magic, MAGIC)) {
            throw b.error("bad magic " + Hex.encode(magic) + " (expected \"TTHR\")");
        }
        int min = b.u8("minVersion");
        int max = b.u8("maxVersion");
        long interval = b.u32("heartbeatIntervalMs");
        long timeout = b.u32("heartbeatTimeoutMs");
        long maxFrame = b.u32("maxFrameSize");
        byte[] sessionId = b.bytes(16, "sessionId");
        long last = b.u64("lastReceivedSeq");
        int idLen = b.u16("clientIdLen");
        if (idLen > 256) {
            throw b.error("clientIdLen " + idLen + " exceeds 256");
        }
        String clientId = b.utf8(idLen, "clientId");
        int tokenLen = b.u16("tokenLen");
        if (tokenLen > 4096) {
            throw b.error("tokenLen " + tokenLen + " exceeds 4096");
        }
        byte[] token = b.bytes(tokenLen, "token");
        List<Frame.ExtensionItem> extensions = b.extensions();
        if (min == 0) {
            throw b.error("minVersion is 0");
        }
        if (min > max) {
            throw b.error("minVersion " + min + " is greater than maxVersion " + max);
        }
        if (maxFrame < MIN_MAX_FRAME_SIZE) {
            throw b.error("maxFrameSize " + maxFrame + " is below 1024");
        }
        if (resume && !session) {
            throw b.error("RESUME set without SESSION");
        }
        return new Frame.Hello(session, resume, min, max, interval, timeout, maxFrame, sessionId, last, clientId, token,
            extensions);
    }

    private static Frame.Welcome decodeWelcome(int flags, Body b) throws ProtocolException {
        boolean session = (flags & 0x01) != 0;
        boolean resumed = (flags & 0x02) != 0;
        int version = b.u8("version");
        long interval = b.u32("heartbeatIntervalMs");
        long timeout = b.u32("heartbeatTimeoutMs");
        long maxFrame = b.u32("maxFrameSize");
        long connectionId = b.u64("connectionId");
        byte[] sessionId = b.bytes(16, "sessionId");
        long last = b.u64("lastReceivedSeq");
        int resetReason = b.u16("sessionResetReason");
        long lost = b.u32("lostCount");
        int idLen = b.u16("serverIdLen");
        if (idLen > 256) {
            throw b.error("serverIdLen " + idLen + " exceeds 256");
        }
        String serverId = b.utf8(idLen, "serverId");
        List<Frame.ExtensionItem> extensions = b.extensions();
        if (version == 0) {
            throw b.error("version is 0");
        }
        if (interval == 0 || timeout == 0) {
            throw b.error("heartbeat interval and timeout must not be 0");
        }
        if (maxFrame < MIN_MAX_FRAME_SIZE) {
            throw b.error("maxFrameSize " + maxFrame + " is below 1024");
        }
        if (resumed && !session) {
            throw b.error("RESUMED set without SESSION");
        }
        if (resumed && resetReason != 0) {
            throw b.error("RESUMED with sessionResetReason " + resetReason);
        }
        return new Frame.Welcome(session, resumed, version, interval, timeout, maxFrame, connectionId, sessionId, last,
            resetReason, lost, serverId, extensions);
    }

    /** The whole frame, header included. */
    public static byte[] encode(Frame frame) {
        Out o = new Out();
        if (frame instanceof Frame.Hello h) {
            o.bytes(MAGIC).u8(h.minVersion()).u8(h.maxVersion()).u32(h.heartbeatIntervalMs())
                .u32(h.heartbeatTimeoutMs()).u32(h.maxFrameSize()).bytes(fixed16(h.sessionId()))
                .u64(h.lastReceivedSeq());
            byte[] id = h.clientId().getBytes(StandardCharsets.UTF_8);
            o.u16(id.length).bytes(id).u16(h.token().length).bytes(h.token()).extensions(h.extensions());
        } else if (frame instanceof Frame.Welcome w) {
            o.u8(w.version()).u32(w.heartbeatIntervalMs()).u32(w.heartbeatTimeoutMs()).u32(w.maxFrameSize())
                .u64(w.connectionId()).bytes(fixed16(w.sessionId())).u64(w.lastReceivedSeq())
                .u16(w.sessionResetReason()).u32(w.lostCount());
            byte[] id = w.serverId().getBytes(StandardCharsets.UTF_8);
            o.u16(id.length).bytes(id).extensions(w.extensions());
        } else if (frame instanceof Frame.Data d) {
            if (d.seq() != null) {
                o.u64(d.seq());
            }
            if (d.ack() != null) {
                o.u64(d.ack());
            }
            o.bytes(d.payload());
        } else if (frame instanceof Frame.Ack a) {
            o.u64(a.ack());
        } else if (frame instanceof Frame.Ping p) {
            o.u64(p.value());
        } else if (frame instanceof Frame.Pong p) {
            o.u64(p.value());
        } else if (frame instanceof Frame.GoAway g) {
            byte[] reason = g.reason().getBytes(StandardCharsets.UTF_8);
            o.u32(g.retryAfterMs()).u32(g.drainMs()).u16(reason.length).bytes(reason).extensions(g.extensions());
        } else if (frame instanceof Frame.Close c) {
            byte[] reason = c.reason().getBytes(StandardCharsets.UTF_8);
            o.u16(c.code()).u32(c.retryAfterMs()).u16(reason.length).bytes(reason).extensions(c.extensions());
        } else if (frame instanceof Frame.Extension e) {
            o.bytes(e.body());
        }
        byte[] body = o.toByteArray();
        return ByteBuffer.allocate(HEADER_SIZE + body.length).put((byte) frame.type()).put((byte) frame.flags())
            .putInt(body.length).put(body).array();
    }

    /** Whether {@code bytes} is well-formed UTF-8 (RFC 3629). */
    public static boolean isUtf8(byte[] bytes) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    private static byte[] fixed16(byte[] id) {
        return id == null ? new byte[16] : id;
    }

    /** Reads a body with bounds checks; every overrun is a PROTOCOL_ERROR naming the field. */
    private static final class Body {
        private final int type;
        private final ByteBuffer buffer;

        Body(int type, byte[] body) {
            this.type = type;
            this.buffer = ByteBuffer.wrap(body);
        }

        ProtocolException error(String what) {
            return new ProtocolException(CloseCodes.PROTOCOL_ERROR, type, typeName(type) + ": " + what);
        }

        private void need(int n, String field) throws ProtocolException {
            if (buffer.remaining() < n) {
                throw error(field + " runs past the end of the body (" + buffer.limit() + " bytes)");
            }
        }

        int u8(String field) throws ProtocolException {
            need(1, field);
            return buffer.get() & 0xFF;
        }

        int u16(String field) throws ProtocolException {
            need(2, field);
            return buffer.getShort() & 0xFFFF;
        }

        long u32(String field) throws ProtocolException {
            need(4, field);
            return buffer.getInt() & 0xFFFFFFFFL;
        }

        long u64(String field) throws ProtocolException {
            need(8, field);
            return buffer.getLong();
        }

        long exactU64() throws ProtocolException {
            if (buffer.remaining() != 8) {
                throw error("body must be exactly 8 bytes, not " + buffer.remaining());
            }
            return buffer.getLong();
        }

        byte[] bytes(int n, String field) throws ProtocolException {
            need(n, field);
            byte[] out = new byte[n];
            buffer.get(out);
            return out;
        }

        String utf8(int n, String field) throws ProtocolException {
            byte[] raw = bytes(n, field);
            if (!isUtf8(raw)) {
                throw error(field + " is not well-formed UTF-8");
            }
            return new String(raw, StandardCharsets.UTF_8);
        }

        byte[] rest() {
            byte[] out = new byte[buffer.remaining()];
            buffer.get(out);
            return out;
        }

        List<Frame.ExtensionItem> extensions() throws ProtocolException {
            List<Frame.ExtensionItem> items = new ArrayList<>();
            while (buffer.hasRemaining()) {
                if (buffer.remaining() < 4) {
                    throw error("extension item header runs past the end of the body");
                }
                int key = buffer.getShort() & 0xFFFF;
                int length = buffer.getShort() & 0xFFFF;
                items.add(new Frame.ExtensionItem(key, bytes(length, "extension item value")));
            }
            return items;
        }
    }

    private static final class Out extends ByteArrayOutputStream {
        Out u8(int v) {
            write(v);
            return this;
        }

        Out u16(int v) {
            write(v >>> 8);
            write(v);
            return this;
        }

        Out u32(long v) {
            return u16((int) (v >>> 16) & 0xFFFF).u16((int) v & 0xFFFF);
        }

        Out u64(long v) {
            return u32(v >>> 32).u32(v & 0xFFFFFFFFL);
        }

        Out bytes(byte[] b) {
            write(b, 0, b.length);
            return this;
        }

        Out extensions(List<Frame.ExtensionItem> items) {
            for (Frame.ExtensionItem item : items) {
                u16(item.key()).u16(item.value().length).bytes(item.value());
            }
            return this;
        }
    }
}
