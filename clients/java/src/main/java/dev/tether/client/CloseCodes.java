package dev.tether.client;

/** Close codes of the protocol (section 13) and what a client does when it receives each. */
public final class CloseCodes {
    public static final int NORMAL = 1000;
    public static final int GOING_AWAY = 1001;
    public static final int PROTOCOL_ERROR = 1002;
    public static final int UNSUPPORTED_VERSION = 1003;
    public static final int FRAME_TOO_LARGE = 1004;
    public static final int HANDSHAKE_TIMEOUT = 1005;
    public static final int HEARTBEAT_TIMEOUT = 1006;
    public static final int AUTH_FAILED = 1007;
    public static final int SERVER_BUSY = 1008;
    public static final int SLOW_CONSUMER = 1009;
    public static final int REPLACED = 1010;
    public static final int INTERNAL_ERROR = 1011;
    public static final int RATE_LIMITED = 1012;
    public static final int TOO_MANY_CONNECTIONS = 1013;
    public static final int AUTH_EXPIRED = 1014;

    private CloseCodes() {
    }

    /** Whether a client that receives {@code code} from the server reconnects on its own. */
    public static boolean allowsReconnect(int code) {
        switch (code) {
            case NORMAL:
            case UNSUPPORTED_VERSION:
            case AUTH_FAILED:
            case REPLACED:
            case AUTH_EXPIRED:
                return false;
            default:
                return code < 4500 || code > 4999;
        }
    }

    /**
     * The disconnect reason name for a received close code; {@code null} (no CLOSE: FIN, reset, I/O error) is
     * {@code connection-lost}.
     */
    public static String reasonName(Integer code) {
        if (code == null) {
            return "connection-lost";
        }
        switch (code) {
            case HEARTBEAT_TIMEOUT:
                return "heartbeat-timeout";
            case HANDSHAKE_TIMEOUT:
                return "handshake-timeout";
            case UNSUPPORTED_VERSION:
            case AUTH_FAILED:
            case SERVER_BUSY:
            case TOO_MANY_CONNECTIONS:
            case AUTH_EXPIRED:
                return "handshake-rejected";
            case PROTOCOL_ERROR:
            case FRAME_TOO_LARGE:
                return "protocol-error";
            case GOING_AWAY:
                return "going-away";
            case SLOW_CONSUMER:
                return "slow-consumer";
            case REPLACED:
                return "replaced";
            case RATE_LIMITED:
                return "rate-limited";
            default:
                return "closed-by-peer";
        }
    }

    /** The spec's name of a code, for messages: {@code 1007 AUTH_FAILED}. */
    public static String describe(int code) {
        String[] names = {"NORMAL", "GOING_AWAY", "PROTOCOL_ERROR", "UNSUPPORTED_VERSION", "FRAME_TOO_LARGE",
            "HANDSHAKE_TIMEOUT", "HEARTBEAT_TIMEOUT", "AUTH_FAILED", "SERVER_BUSY", "SLOW_CONSUMER", "REPLACED",
            "INTERNAL_ERROR", "RATE_LIMITED", "TOO_MANY_CONNECTIONS", "AUTH_EXPIRED"};
        if (code >= 1000 && code < 1000 + names.length) {
            return code + " " + names[code - 1000];
        }
        return code >= 4000 && code <= 4999 ? code + " (application)" : Integer.toString(code);
    }
}
