package dev.tether.client;

import java.time.Duration;
import java.util.Random;

/** Exponential backoff with full jitter (section 14.1). */
public final class BackoffTest {
    public void testCeilingsDoubleFromTheBaseUpToTheCap() {
        Backoff b = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(5));
        long[] expected = {500, 1000, 2000, 4000, 5000, 5000, 5000};
        for (int n = 1; n <= expected.length; n++) {
            Check.equal(expected[n - 1], b.ceilingMillis(n), "ceiling of attempt " + n);
        }
        Check.equal(5000L, b.ceilingMillis(1_000_000), "ceiling of a huge attempt number");
    }

    public void testDelaysStayWithinZeroAndTheCeilingAndSpreadOverIt() {
        Backoff b = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(5), new Random(7));
        for (int n = 1; n <= 8; n++) {
            long ceiling = b.ceilingMillis(n);
            long min = Long.MAX_VALUE;
            long max = 0;
            for (int i = 0; i < 2000; i++) {
                long d = b.nextDelayMillis(n);
                Check.isTrue(d >= 0 && d <= ceiling, "delay " + d + " outside [0, " + ceiling + "]");
                min = Math.min(min, d);
                max = Math.max(max, d);
            }
            // Full jitter: the whole window is used, not just its top.
            Check.isTrue(min < ceiling / 10 && max > ceiling * 9 / 10, "attempt " + n + " spread " + min + ".." + max);
        }
    }

    public void testAttemptZeroIsRefused() {
        Backoff b = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(5));
        Check.fails(IllegalArgumentException.class, () -> b.ceilingMillis(0));
    }
}
