package io.wssink.internal.spool;

import io.wssink.spool.FullPolicy;

import java.time.Instant;

/**
 * The forwarder's view of the spool: reads ahead of the acknowledgement cursor and moves it. Holds the spool's
 * exclusive lock until closed. Not thread-safe: one thread reads and acks.
 *
 * <p>A new reader is positioned right after the cursor, in O(1) whatever the backlog.
 */
public interface SpoolReader extends AutoCloseable {

    /**
     * Reads the next record after the last one read, skipping any that fail their CRC, and any older than
     * {@link SpoolConfig#maxEventAge()} when that is set. A damaged record is quarantined and counted the first time
     * it is read only (an expired one counted once too); when everything read before a skipped record is
     * acknowledged, the cursor moves over it at once (no ack will ever name it). What
     * {@link FullPolicy#DROP_OLDEST} dropped is stepped over: the cursor moves past it first.
     *
     * @return true and {@code into} filled, or false when nothing more has been appended yet
     */
    boolean next(SpoolRecord into);

    /** The id of the last record returned by {@link #next}, or the cursor right after a rewind. */
    long lastReadId();

    /**
     * Whether records were skipped on purpose (older than maxEventAge, damaged, or dropped by DROP_OLDEST) between
     * the record that {@link #next} returned last (after a rewind: the last one delivered) and the one it just
     * returned. Such a gap is never silent: the forwarder tells a receiver that understands gap notices.
     */
    boolean gapBefore();

    /** With {@link #gapBefore()}: the id after which the skipped records begin, or {@code Spool.NONE}. */
    long gapAfter();

    /** The highest id a receiver acknowledged or said it holds; the cursor may be past it (see {@link #gapBefore}). */
    long deliveredId();

    /** The highest acknowledged id, or {@link Spool#NONE}. */
    long ackedId();

    /**
     * Moves the cursor forward to {@code id} (acks are cumulative) and persists it; a kill -9 at any instant leaves
     * the old or the new value. An id at or below the cursor is ignored: acks are monotonic.
     *
     * Skipped records (damaged, expired) read right after {@code id} are covered too: the cursor moves over them.
     *
     * @return the number of events this ack newly covered (0 if ignored)
     * @throws IllegalArgumentException when {@code id} is past the last record read: no receiver can hold it
     */
    long ack(long id);

    /** Bytes of the records read and not yet acked: what is in flight. */
    long inFlightBytes();

    /**
     * The id of the last record appended to the spool by anyone, or {@link Spool#NONE} when it is empty. Not cheap:
     * Chronicle finds it with a tailer of its own, made and released for each call (see {@link #hasNext()}).
     */
    long lastAppendedId();

    /**
     * Whether a record was appended after the last one read, without reading it: {@link #next} returns it (or, if it
     * is damaged, expired or dropped, skips it). Cheap enough for every idle turn: it looks at this reader's own
     * tailer, where {@code lastAppendedId() > lastReadId()} made and released a Chronicle tailer each time.
     */
    boolean hasNext();

    /**
     * The receiver already holds everything up to {@code id} (its resume ack): moves the cursor forward to it, even
     * past what was read, and rewinds reading to after it. An id at or below the cursor is ignored.
     *
     * @return the number of events the cursor moved over (0 if ignored), for the count of acknowledged events: what
     *         {@link FullPolicy#DROP_OLDEST} dropped is stepped over first and not in it; damaged or expired records
     *         between the cursor and {@code id} are (no resume ack says which ones it covers)
     * @throws IllegalArgumentException when {@code id} is past the last record appended
     */
    long skipTo(long id);

    /** Positions reading right after the cursor again: what was read but not acked will be read again. */
    void rewind();

    /**
     * Moves the cursor back so that everything after {@code id} is delivered again, and rewinds reading. Records
     * already deleted by retention cannot come back.
     */
    void rewindCursorTo(long id);

    /**
     * The id to rewind to so that every event appended at or after {@code time} is sent again.
     *
     * @return that id, or the cursor itself when no retained event is older than {@code time}
     */
    long idBefore(Instant time);

    /**
     * Deletes the files whose every event is acknowledged. The cursor is persisted before, and the queue's
     * directory listing refreshed after.
     *
     * @return how many files were deleted
     */
    int retain();

    /** Releases the lock; the spool stays open. */
    @Override
    void close();
}
