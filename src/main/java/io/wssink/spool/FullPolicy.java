package io.wssink.spool;

/** What {@code append} does when the spool holds {@code maxSpoolBytes} or the disk is nearly full. */
public enum FullPolicy {
    /** Wait for acknowledgements to free space, up to the configured timeout, then throw {@link SpoolFullException}. */
    BLOCK,
    /** Discard the new event, count it in {@link SpoolStats#droppedEvents()} and return {@link Spool#DROPPED}. */
    DROP_NEWEST,
    /** Throw {@link SpoolFullException} at once. */
    FAIL
}
