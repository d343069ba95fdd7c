package io.wssink.spool;

/** The spool reached {@code maxSpoolBytes}, or the disk its free-space floor, and the policy refused the event. */
public class SpoolFullException extends SpoolException {
    public SpoolFullException(String message) {
        super(message);
    }
}
