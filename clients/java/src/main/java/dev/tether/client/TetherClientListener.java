package dev.tether.client;

import java.util.function.Consumer;

/**
 * Receives a client's events. Every method has an empty default; they are called one at a time, in order, on the
 * client's event thread, so a slow listener delays later events but never the connection itself.
 */
public interface TetherClientListener {
    /** A listener that only receives messages: {@code TetherClientListener.onMessage(m -> ...)}. */
    static TetherClientListener onMessage(Consumer<byte[]> handler) {
        return new TetherClientListener() {
            @Override
            public void onMessage(byte[] message) {
                handler.accept(message);
            }
        };
    }

    /** A connection is open (WELCOME received) to {@code endpoint}. */
    default void onConnected(Endpoint endpoint) {
    }

    /** An open connection ended. A reconnect follows unless the info says it cannot heal. */
    default void onDisconnected(DisconnectInfo info) {
    }

    /**
     * The client waits {@code delayMillis} and then tries {@code endpoint}; {@code attempt} counts from 1 since the
     * last stable connection. {@code lastError} is set when the previous attempt failed before the connection opened.
     */
    default void onReconnecting(int attempt, long delayMillis, Endpoint endpoint, Throwable lastError) {
    }

    /** The session was resumed; {@code resent} messages were sent again after the server's {@code serverLastReceived}. */
    default void onResumed(String sessionId, long serverLastReceived, int resent) {
    }

    /** The session was lost: its unacknowledged messages were not resent (they are in the info). */
    default void onSessionLost(SessionLostInfo info) {
    }

    /** A round-trip time measured with PING/PONG. */
    default void onRoundTripTime(double millis) {
    }

    /** A message from the server, in order, exactly once inside a session. */
    default void onMessage(byte[] message) {
    }

    /** The client stopped for good: {@code error} is null after {@link TetherClient#close}, else why it gave up. */
    default void onClosed(TetherException error) {
    }
}
