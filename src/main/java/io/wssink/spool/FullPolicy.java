package io.wssink.spool;

/** What {@code append} does when the spool holds {@code maxSpoolBytes} or the disk is nearly full. */
public enum FullPolicy {
    /** Wait for acknowledgements to free space, up to the configured timeout, then throw {@link SpoolFullException}. */
    BLOCK,
    /** Discard the new event, count it in {@link SpoolStats#droppedEvents()} and return {@link EventIds#DROPPED}. */
    DROP_NEWEST,
    /** Throw {@link SpoolFullException} at once. */
    FAIL,
    /**
     * Discard the oldest unacknowledged events, a whole cycle file at a time, to make room for the new one: for live
     * views that want the latest events rather than all of them. The discarded range is logged and counted in
     * {@link SpoolStats#droppedOldestEvents()} (its first and last id too), and waiting for the ack of an event in it
     * fails with {@link DroppedEventException}. When nothing unacknowledged is left to discard, or the disk's free-space
     * floor is what is short (dropping gives disk space back only when retention deletes the files), the new event is
     * discarded as under {@link #DROP_NEWEST}. See docs/SPOOL.md.
     */
    DROP_OLDEST
}
