package io.wssink.spool;

/**
 * The two event ids with a meaning of their own. Every other id is an event's, unsigned, increasing within a stream
 * and not contiguous (see docs/PROTOCOL.md).
 */
public final class EventIds {
    /** No event: nothing acknowledged yet, or an empty spool. */
    public static final long NONE = 0L;
    /**
     * What {@code write} returns for an event the full spool discarded: under {@link FullPolicy#DROP_NEWEST}, or under
     * {@link FullPolicy#DROP_OLDEST} when nothing older was left to discard.
     */
    public static final long DROPPED = -1L;

    private EventIds() {
    }
}
