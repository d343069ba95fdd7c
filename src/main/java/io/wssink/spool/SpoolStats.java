package io.wssink.spool;

/**
 * A snapshot of a spool's counters, shared by every process that appends to the spool and kept in the spool itself.
 * {@code appendedEvents} and {@code backlogEvents} are counted from the queue's index and are exact, whatever killed
 * the processes that appended (but for a kill -9 of the sender in the instant between deleting an acknowledged file
 * and counting its events). The byte counts are added in batches, so a producer killed by kill -9 leaves up to 63
 * events' bytes uncounted: figures to watch, not to reconcile.
 *
 * @param appendedEvents     every event appended: those in the spool's files, and those retention deleted
 * @param ackedId            the highest acknowledged id, or {@link EventIds#NONE}
 * @param backlogEvents      events appended after {@code ackedId}
 * @param oldestUnackedAgeMillis age of the first event after {@code ackedId}, or 0 when the backlog is empty
 * @param corruptRecords     records skipped because they failed their check, plus ack cursors found zeroed
 * @param missingFiles       cycle files the spool wrote into that were found deleted by someone else
 * @param streamForks        how many times the spool took a new stream id, because it was copied or its ack cursor
 *                           was found past its data (a power cut); see docs/SPOOL.md
 * @param forkedFrom         the stream id before the last fork, or empty
 * @param forkReason         why the spool last took a new stream id, or empty
 * @param expiredEvents      events skipped, never sent, because they were older than {@code maxEventAge} when read
 * @param droppedOldestEvents events discarded unacknowledged by {@link FullPolicy#DROP_OLDEST}
 * @param droppedOldestFirstId first id of the last range DROP_OLDEST discarded, or {@link EventIds#NONE}
 * @param droppedOldestLastId  last id of that range, or {@link EventIds#NONE}
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
        String forkReason,
        long expiredEvents,
        long droppedOldestEvents,
        long droppedOldestFirstId,
        long droppedOldestLastId) {
}
