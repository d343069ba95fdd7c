package io.wssink.spool;

/**
 * The event was discarded unacknowledged by {@link FullPolicy#DROP_OLDEST} to make room for newer ones: it will not
 * be sent again (if it was in flight when it was dropped, the receiver may or may not hold it).
 */
public class DroppedEventException extends SpoolException {
    private final long id;

    public DroppedEventException(long id, String message) {
        super(message);
        this.id = id;
    }

    /** The id of the dropped event. */
    public long id() {
        return id;
    }
}
