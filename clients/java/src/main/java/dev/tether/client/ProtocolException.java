package dev.tether.client;

/**
 * A frame or an exchange that breaks the wire protocol. {@link #closeCode()} is the close code the receiver answers
 * with: 1002 {@code PROTOCOL_ERROR} or 1004 {@code FRAME_TOO_LARGE}.
 */
public final class ProtocolException extends Exception {
    private static final long serialVersionUID = 1L;

    private final int closeCode;
    private final int frameType;

    public ProtocolException(int closeCode, String message) {
        this(closeCode, -1, message);
    }

    /** @param frameType the type of the frame whose body failed to decode, or -1 when the header was at fault */
    public ProtocolException(int closeCode, int frameType, String message) {
        super(message);
        this.closeCode = closeCode;
        this.frameType = frameType;
    }

    public int closeCode() {
        return closeCode;
    }

    /** The type of the frame whose body failed to decode; -1 when the header (or the exchange) was at fault. */
    public int frameType() {
        return frameType;
    }

    /** The error name of the spec: {@code PROTOCOL_ERROR} or {@code FRAME_TOO_LARGE}. */
    public String errorName() {
        return closeCode == CloseCodes.FRAME_TOO_LARGE ? "FRAME_TOO_LARGE" : "PROTOCOL_ERROR";
    }
}
