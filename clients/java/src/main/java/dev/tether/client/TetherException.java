package dev.tether.client;

/** A failure the application should hear about: the client gave up, was refused, or was closed. */
public class TetherException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final Integer closeCode;

    public TetherException(String message) {
        this(message, null, null);
    }

    public TetherException(String message, Throwable cause) {
        this(message, null, cause);
    }

    public TetherException(String message, Integer closeCode, Throwable cause) {
        super(message, cause);
        this.closeCode = closeCode;
    }

    /** The close code the server refused or ended the connection with, or null when no CLOSE was involved. */
    public Integer closeCode() {
        return closeCode;
    }
}
