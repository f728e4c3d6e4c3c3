package dev.tether.client;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every vector of docs/protocol-vectors.json: a valid one decodes to exactly its fields and re-encodes to exactly
 * its hex; an invalid one is rejected with the named error by a receiver with the vector's maxFrameSize.
 */
public final class VectorsTest {
    /** One case per vector, for the runner. */
    public static Map<String, Check.Body> cases() throws IOException {
        Map<String, Object> file = load();
        Map<String, Check.Body> cases = new LinkedHashMap<>();
        cases.put("protocolVersion", () -> Check.equal("1", normalize(file.get("protocolVersion")), "protocolVersion"));
        for (Object v : (List<?>) file.get("valid")) {
            Map<?, ?> vector = (Map<?, ?>) v;
            cases.put("valid " + vector.get("name"), () -> checkValid(vector));
        }
        for (Object v : (List<?>) file.get("invalid")) {
            Map<?, ?> vector = (Map<?, ?>) v;
            cases.put("invalid " + vector.get("name"), () -> checkInvalid(vector));
        }
        return cases;
    }

    /** The same checks in one method, for Maven Surefire's plain-Java provider. */
    public void testAllVectors() throws Exception {
        Map<String, Check.Body> all = cases();
        Check.isTrue(all.size() > 60, "expected every vector, got " + all.size());
        for (Map.Entry<String, Check.Body> c : all.entrySet()) {
            try {
                c.getValue().run();
            } catch (AssertionError e) {
                throw new AssertionError(c.getKey() + ": " + e.getMessage(), e);
            }
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> load() throws IOException {
        String configured = System.getProperty("tether.vectors");
        Path path = configured != null ? Path.of(configured) : find();
        return (Map<String, Object>) MiniJson.parse(Files.readString(path, StandardCharsets.UTF_8));
    }

    /** docs/protocol-vectors.json in the working directory or one of its parents (Maven runs in clients/java). */
    private static Path find() throws IOException {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("docs/protocol-vectors.json");
            if (Files.exists(candidate)) {
                return candidate;
            }
        }
        throw new IOException("docs/protocol-vectors.json not found from " + Path.of("").toAbsolutePath());
    }

    private static void checkValid(Map<?, ?> vector) throws ProtocolException {
        String hex = (String) vector.get("hex");
        Map<?, ?> expected = (Map<?, ?>) vector.get("frame");
        Frame frame = FrameCodec.decode(Hex.decode(hex), 1048576);
        Check.equal(expected.get("type"), typeName(frame), "type");
        Check.equal(normalize(expected.get("flags")), Integer.toString(frame.flags()), "flags");
        Map<?, ?> fields = (Map<?, ?>) expected.get("fields");
        Map<String, Object> actual = fieldsOf(frame);
        Check.equal(fields.keySet(), actual.keySet(), "field names");
        for (Object key : fields.keySet()) {
            Check.equal(normalize(fields.get(key)), normalize(actual.get(key)), "field " + key);
        }
        Check.equal(hex, Hex.encode(FrameCodec.encode(frame)), "re-encoded frame");
    }

    private static void checkInvalid(Map<?, ?> vector) {
        byte[] bytes = Hex.decode((String) vector.get("hex"));
        long max = ((BigDecimal) vector.get("maxFrameSize")).longValueExact();
        ProtocolException e = Check.fails(ProtocolException.class, () -> FrameCodec.decode(bytes, max));
        Check.equal(vector.get("error"), e.errorName(), "error (" + e.getMessage() + ")");
    }

    private static String typeName(Frame frame) {
        return frame instanceof Frame.Extension ? "EXTENSION" : FrameCodec.typeName(frame.type());
    }

    /** The frame's fields as the vector file writes them (u64 as decimal strings, bytes as hex). */
    static Map<String, Object> fieldsOf(Frame frame) {
        Map<String, Object> f = new LinkedHashMap<>();
        if (frame instanceof Frame.Hello h) {
            f.put("minVersion", h.minVersion());
            f.put("maxVersion", h.maxVersion());
            f.put("heartbeatIntervalMs", h.heartbeatIntervalMs());
            f.put("heartbeatTimeoutMs", h.heartbeatTimeoutMs());
            f.put("maxFrameSize", h.maxFrameSize());
            f.put("sessionId", Hex.encode(h.sessionId()));
            f.put("lastReceivedSeq", Long.toUnsignedString(h.lastReceivedSeq()));
            f.put("clientId", h.clientId());
            f.put("token", Hex.encode(h.token()));
            f.put("extensions", extensions(h.extensions()));
        } else if (frame instanceof Frame.Welcome w) {
            f.put("version", w.version());
            f.put("heartbeatIntervalMs", w.heartbeatIntervalMs());
            f.put("heartbeatTimeoutMs", w.heartbeatTimeoutMs());
            f.put("maxFrameSize", w.maxFrameSize());
            f.put("connectionId", Long.toUnsignedString(w.connectionId()));
            f.put("sessionId", Hex.encode(w.sessionId()));
            f.put("lastReceivedSeq", Long.toUnsignedString(w.lastReceivedSeq()));
            f.put("sessionResetReason", w.sessionResetReason());
            f.put("lostCount", w.lostCount());
            f.put("serverId", w.serverId());
            f.put("extensions", extensions(w.extensions()));
        } else if (frame instanceof Frame.Data d) {
            f.put("seq", d.seq() == null ? null : Long.toUnsignedString(d.seq()));
            f.put("ack", d.ack() == null ? null : Long.toUnsignedString(d.ack()));
            f.put("payload", Hex.encode(d.payload()));
        } else if (frame instanceof Frame.Ack a) {
            f.put("ack", Long.toUnsignedString(a.ack()));
        } else if (frame instanceof Frame.Ping p) {
            f.put("value", Long.toUnsignedString(p.value()));
        } else if (frame instanceof Frame.Pong p) {
            f.put("value", Long.toUnsignedString(p.value()));
        } else if (frame instanceof Frame.GoAway g) {
            f.put("retryAfterMs", g.retryAfterMs());
            f.put("drainMs", g.drainMs());
            f.put("reason", g.reason());
            f.put("extensions", extensions(g.extensions()));
        } else if (frame instanceof Frame.Close c) {
            f.put("code", c.code());
            f.put("retryAfterMs", c.retryAfterMs());
            f.put("reason", c.reason());
            f.put("extensions", extensions(c.extensions()));
        } else if (frame instanceof Frame.Extension e) {
            f.put("typeCode", e.type());
            f.put("body", Hex.encode(e.body()));
        }
        return f;
    }

    private static List<Object> extensions(List<Frame.ExtensionItem> items) {
        List<Object> out = new ArrayList<>();
        for (Frame.ExtensionItem item : items) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("key", item.key());
            m.put("value", Hex.encode(item.value()));
            out.add(m);
        }
        return out;
    }

    /** Numbers become decimal strings so that 41 (JSON number), "41" (u64 string) and 41L compare by value. */
    private static Object normalize(Object value) {
        if (value instanceof BigDecimal d) {
            return d.toBigIntegerExact().toString();
        }
        if (value instanceof Number n) {
            return Long.toString(n.longValue());
        }
        if (value instanceof List<?> list) {
            List<Object> out = new ArrayList<>();
            for (Object o : list) {
                out.add(normalize(o));
            }
            return out;
        }
        if (value instanceof Map<?, ?> map) {
            Map<Object, Object> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                out.put(e.getKey(), normalize(e.getValue()));
            }
            return out;
        }
        return value;
    }
}
