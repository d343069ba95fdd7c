package io.wssink.spool;

/** The event was older than {@code maxEventAge} when the forwarder reached it: it was skipped and will never be sent. */
public class ExpiredEventException extends SpoolException {
    private final long id;

    public ExpiredEventException(long id, String message) {
        super(message);
        this.id = id;
    }

    /** The id of the expired event. */
    public long id() {
        return id;
    }
}
