package dev.tether.client;

/**
 * Why a connection ended.
 *
 * @param reason      connection-lost, heartbeat-timeout, handshake-timeout, handshake-rejected, protocol-error,
 *                    closed-by-peer, going-away, slow-consumer, replaced, rate-limited, or closed (our own close)
 * @param code        the close code received from the server (1001 for a GOAWAY), or null when none was received
 * @param description what happened, for people
 */
public record DisconnectInfo(String reason, Integer code, String description) {
    static DisconnectInfo received(int code, String reason) {
        String text = reason.isEmpty() ? "the server closed the connection with " + CloseCodes.describe(code)
            : reason;
        return new DisconnectInfo(CloseCodes.reasonName(code), code, text);
    }

    static DisconnectInfo lost(String description) {
        return new DisconnectInfo("connection-lost", null, description);
    }

    /** Whether the client reconnects after this end on its own. */
    public boolean allowsReconnect() {
        return !"closed".equals(reason) && (code == null || CloseCodes.allowsReconnect(code));
    }
}
