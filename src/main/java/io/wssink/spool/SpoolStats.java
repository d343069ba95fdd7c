package io.wssink.spool;

/**
 * A snapshot of a spool's counters. The counters are shared by every process that appends to the spool and kept in
 * the spool itself; a kill -9 between an append and its counter update can leave them one event apart, so they are
 * figures to watch, not to reconcile. {@code backlogEvents} is counted from the queue's index and is exact.
 *
 * @param ackedId            the highest acknowledged id, or {@link Spool#NONE}
 * @param backlogEvents      events appended after {@code ackedId}
 * @param oldestUnackedAgeMillis age of the first event after {@code ackedId}, or 0 when the backlog is empty
 * @param corruptRecords     records skipped because they failed their check, plus ack cursors found zeroed
 * @param missingFiles       cycle files the spool wrote into that were found deleted by someone else
 * @param streamForks        how many times the spool took a new stream id, because it was copied or its ack cursor
 *                           was found past its data (a power cut); see docs/SPOOL.md
 * @param forkedFrom         the stream id before the last fork, or empty
 * @param forkReason         why the spool last took a new stream id, or empty
 */
public record SpoolStats(
        String streamId,
        long appendedEvents,
        long appendedBytes,
        long ackedId,
        long lastId,
        long backlogEvents,
        long backlogBytes,
        long oldestUnackedAgeMillis,
        long droppedEvents,
        long corruptRecords,
        long missingFiles,
        long diskBytes,
        long streamForks,
        String forkedFrom,
        String forkReason) {
}
