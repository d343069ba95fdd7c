package io.wssink.spool;

/** The event was found damaged in the spool and quarantined: it will never be delivered. */
public class QuarantinedEventException extends SpoolException {
    private final long id;

    public QuarantinedEventException(long id, String message) {
        super(message);
        this.id = id;
    }

    /** The id of the damaged event. */
    public long id() {
        return id;
    }
}
