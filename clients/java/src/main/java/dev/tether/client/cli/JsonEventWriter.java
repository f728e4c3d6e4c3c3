package dev.tether.client.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.function.Supplier;

/**
 * Writes one JSON object per line, each starting with {@code event} and {@code ts} (UTC, milliseconds), and flushes
 * every line so that a script reading the pipe sees it at once. Non-ASCII text is written as is (UTF-8).
 */
public final class JsonEventWriter {
    private static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
        .withZone(ZoneOffset.UTC);

    private final OutputStream out;
    private final Supplier<Instant> clock;
    private boolean broken;

    public JsonEventWriter(OutputStream out) {
        this(out, Instant::now);
    }

    public JsonEventWriter(OutputStream out, Supplier<Instant> clock) {
        this.out = out;
        this.clock = clock;
    }

    /**
     * Writes {@code event} with the given fields, in order: names and values alternate. Values may be strings,
     * numbers or null; a {@link Omit} value leaves its field out.
     */
    public synchronized void write(String event, Object... fields) {
        if (broken) {
            return;
        }
        StringBuilder line = new StringBuilder(128);
        line.append("{\"event\":");
        string(line, event);
        line.append(",\"ts\":");
        string(line, TS.format(clock.get()));
        for (int i = 0; i + 1 < fields.length; i += 2) {
            Object value = fields[i + 1];
            if (value == Omit.FIELD) {
                continue;
            }
            line.append(',');
            string(line, (String) fields[i]);
            line.append(':');
            value(line, value);
        }
        line.append("}\n");
        try {
            out.write(line.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            // The reader went away (e.g. "| head"); the program notices the end through stdin or a signal.
            broken = true;
        }
    }

    /** Marks a field to leave out. */
    public enum Omit { FIELD }

    private static void value(StringBuilder line, Object value) {
        if (value == null) {
            line.append("null");
        } else if (value instanceof String s) {
            string(line, s);
        } else if (value instanceof Double d) {
            line.append(number(d));
        } else if (value instanceof Number || value instanceof Boolean) {
            line.append(value);
        } else {
            string(line, value.toString());
        }
    }

    /** A number with at most three decimals and no exponent: {@code 0.125}, {@code 12}. */
    static String number(double value) {
        BigDecimal rounded = BigDecimal.valueOf(value).setScale(3, RoundingMode.HALF_EVEN).stripTrailingZeros();
        return rounded.scale() < 0 ? rounded.setScale(0).toPlainString() : rounded.toPlainString();
    }

    static void string(StringBuilder line, String s) {
        line.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"':
                    line.append("\\\"");
                    break;
                case '\\':
                    line.append("\\\\");
                    break;
                case '\n':
                    line.append("\\n");
                    break;
                case '\r':
                    line.append("\\r");
                    break;
                case '\t':
                    line.append("\\t");
                    break;
                case '\b':
                    line.append("\\b");
                    break;
                case '\f':
                    line.append("\\f");
                    break;
                default:
                    if (c < 0x20 || c == 0x7F) {
                        line.append(String.format("\\u%04x", (int) c));
                    } else {
                        line.append(c);
                    }
            }
        }
        line.append('"');
    }
}
