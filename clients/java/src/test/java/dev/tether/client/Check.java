package dev.tether.client;

import java.util.Arrays;
import java.util.Objects;

/** Assertions that throw {@link AssertionError} (no -ea needed). */
final class Check {
    /** A test body that may throw anything. */
    interface Body {
        void run() throws Exception;
    }

    private Check() {
    }

    static void isTrue(boolean condition, String message) {
        if (!condition) {
            throw new AssertionError(message);
        }
    }

    static void equal(Object expected, Object actual, String what) {
        boolean same = expected instanceof byte[] e && actual instanceof byte[] a ? Arrays.equals(e, a)
            : Objects.equals(expected, actual);
        if (!same) {
            throw new AssertionError(what + ": expected <" + show(expected) + "> but was <" + show(actual) + ">");
        }
    }

    private static String show(Object value) {
        return value instanceof byte[] b ? Hex.encode(b) : String.valueOf(value);
    }

    /** Runs {@code body} and returns what it threw; fails if it threw nothing or something not of {@code type}. */
    static <T extends Throwable> T fails(Class<T> type, Body body) {
        try {
            body.run();
        } catch (Throwable e) {
            if (type.isInstance(e)) {
                return type.cast(e);
            }
            throw new AssertionError("expected " + type.getSimpleName() + " but got " + e, e);
        }
        throw new AssertionError("expected " + type.getSimpleName() + " but nothing was thrown");
    }
}
