package io.wssink.spool;

/** A spool cannot be opened or used; the message says why and what to do. */
public class SpoolException extends RuntimeException {
    public SpoolException(String message) {
        super(message);
    }

    public SpoolException(String message, Throwable cause) {
        super(message, cause);
    }
}
