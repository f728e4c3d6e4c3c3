package dev.tether.client;

import java.time.Duration;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with full jitter (section 14.1): the delay before attempt n is uniform in
 * [0, min(max, base * 2^(n-1))], so a crowd of clients that lost the same server comes back spread out.
 */
public final class Backoff {
    private final long baseMillis;
    private final long maxMillis;
    private final Random random;

    public Backoff(Duration base, Duration max) {
        this(base, max, null);
    }

    /** @param random a seeded generator for reproducible delays, or null for a shared one */
    public Backoff(Duration base, Duration max, Random random) {
        this.baseMillis = base.toMillis();
        this.maxMillis = max.toMillis();
        this.random = random;
    }

    /** The upper bound of the delay before attempt {@code attempt} (1-based). */
    public long ceilingMillis(int attempt) {
        if (attempt < 1) {
            throw new IllegalArgumentException("attempt must be at least 1");
        }
        double ceiling = baseMillis * Math.pow(2, Math.min(attempt - 1, 62));
        return (long) Math.min(ceiling, maxMillis);
    }

    /** A random delay in [0, {@link #ceilingMillis}] for attempt {@code attempt} (1-based). */
    public long nextDelayMillis(int attempt) {
        double unit = random != null ? random.nextDouble() : ThreadLocalRandom.current().nextDouble();
        return Math.round(ceilingMillis(attempt) * unit);
    }
}
