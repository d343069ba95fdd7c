package io.wssink.spool;

/** Another forwarder (in this or another process) holds the spool: two would deliver every event twice. */
public class SpoolLockedException extends SpoolException {
    public SpoolLockedException(String message) {
        super(message);
    }
}
