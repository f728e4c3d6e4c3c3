package dev.tether.client;

import dev.tether.client.cli.JsonEventWriter;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/** The example program's JSON lines. */
public final class JsonEventWriterTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final JsonEventWriter writer = new JsonEventWriter(out, () -> Instant.parse("2026-12-07T16:05:00.123456Z"));

    private String text() {
        return out.toString(StandardCharsets.UTF_8);
    }

    public void testEventAndTimestampComeFirstAndEachLineEnds() {
        writer.write("connected", "endpoint", "127.0.0.1:7447");
        Check.equal("{\"event\":\"connected\",\"ts\":\"2026-12-07T16:05:00.123Z\",\"endpoint\":\"127.0.0.1:7447\"}\n",
            text(), "line");
    }

    public void testNullNumbersAndOmittedFields() {
        writer.write("disconnected", "reason", "connection-lost", "code", null, "description", "gone");
        writer.write("reconnecting", "attempt", 1, "delayMs", 250L, "lastError", JsonEventWriter.Omit.FIELD);
        writer.write("rtt", "rttMs", 1.23456);
        writer.write("rtt", "rttMs", 2.0);
        String[] lines = text().split("\n");
        Check.isTrue(lines[0].endsWith("\"reason\":\"connection-lost\",\"code\":null,\"description\":\"gone\"}"), lines[0]);
        Check.isTrue(lines[1].endsWith("\"attempt\":1,\"delayMs\":250}"), lines[1]);
        Check.isTrue(lines[2].endsWith("\"rttMs\":1.235}"), lines[2]);
        Check.isTrue(lines[3].endsWith("\"rttMs\":2}"), lines[3]);
    }

    public void testStringsAreEscapedAndNonAsciiKept() {
        writer.write("message", "data", "a\"b\\c\nd\u0001é✓");
        Check.isTrue(text().contains("\"data\":\"a\\\"b\\\\c\\nd\\u0001é✓\""), text());
    }
}
