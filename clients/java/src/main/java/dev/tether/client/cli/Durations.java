package dev.tether.client.cli;

import java.math.BigDecimal;
import java.time.Duration;

/** Parses the command line's durations: {@code 250ms}, {@code 30s}, {@code 1.5s}, {@code 2m}, {@code 1h}, or seconds. */
public final class Durations {
    private Durations() {
    }

    public static Duration parse(String text) {
        String t = text.trim();
        BigDecimal unitMillis;
        String number;
        if (t.endsWith("ms")) {
            unitMillis = BigDecimal.ONE;
            number = t.substring(0, t.length() - 2);
        } else if (t.endsWith("s")) {
            unitMillis = BigDecimal.valueOf(1000);
            number = t.substring(0, t.length() - 1);
        } else if (t.endsWith("m")) {
            unitMillis = BigDecimal.valueOf(60_000);
            number = t.substring(0, t.length() - 1);
        } else if (t.endsWith("h")) {
            unitMillis = BigDecimal.valueOf(3_600_000);
            number = t.substring(0, t.length() - 1);
        } else {
            unitMillis = BigDecimal.valueOf(1000);
            number = t;
        }
        BigDecimal value;
        try {
            if (number.isEmpty() || !number.matches("[0-9]*\\.?[0-9]*")) {
                throw new NumberFormatException();
            }
            value = new BigDecimal(number);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid duration \"" + text + "\" (examples: 250ms, 30s, 1.5s, 2m, 1h)");
        }
        return Duration.ofNanos(value.multiply(unitMillis).multiply(BigDecimal.valueOf(1_000_000)).longValue());
    }
}
