package io.wssink.internal.spool;

import io.wssink.spool.Durability;
import io.wssink.spool.EventIds;
import io.wssink.spool.FullPolicy;
import io.wssink.spool.SpoolLockedException;
import io.wssink.spool.SpoolStats;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * The crash-safe on-disk buffer between the program that writes events and the forwarder that delivers them.
 *
 * <p>Once an {@code append} method returns an id, the event is in the spool's memory-mapped files and survives the
 * death of the process; see {@link Durability} for power cuts. Appends are thread-safe and allocate nothing; several
 * processes may append to one spool at once. Only one {@link SpoolReader} may exist per spool at a time, across all
 * processes: it is the forwarder, and two would deliver everything twice.
 */
public interface Spool extends AutoCloseable {
    /** The id that stands for "no event": no real event has it (Chronicle indices carry the cycle in high bits). */
    long NONE = EventIds.NONE;
    /** Returned by {@code append} when {@link FullPolicy#DROP_NEWEST} (or DROP_OLDEST, with nothing older to
     * discard) discarded the event. */
    long DROPPED = EventIds.DROPPED;

    /**
     * Opens the spool in {@link SpoolConfig#directory()}, creating it (0700, files 0600) if it is missing and allowed.
     *
     * @throws SpoolException when the directory is not a spool, cannot be read or written, or is damaged
     */
    static Spool open(SpoolConfig config) {
        return ChronicleSpool.open(config);
    }

    /**
     * Appends a text event, encoded as UTF-8 (an unpaired surrogate becomes '?').
     *
     * @return the event's id, or {@link #DROPPED}
     * @throws SpoolFullException       when full and the policy is {@code FAIL}, or {@code BLOCK} timed out
     * @throws IllegalArgumentException when the encoded event is larger than {@link SpoolConfig#maxEventBytes()}
     */
    long append(CharSequence text);

    /** Appends a binary event: {@code length} bytes of {@code bytes} from {@code offset}. As {@link #append(CharSequence)}. */
    long append(byte[] bytes, int offset, int length);

    /** Appends the remaining bytes of {@code bytes} as a binary event, leaving its position unchanged. */
    long append(ByteBuffer bytes);

    /** The stream id: a UUID made when the spool was created, sent in the {@code Wssink-Stream} header. */
    String streamId();

    /** The highest id that the receiver acknowledged, or {@link #NONE}. */
    long ackedId();

    SpoolStats stats();

    /**
     * As {@link #stats()}, but never takes a lock that {@code append} takes, for figures read often (metrics): the
     * byte counts may be off by one batch of appends (at most 63) for an instant, and {@code diskBytes} is the one
     * {@link #stats()} last measured (0 before). Allocates (a tailer), so not for a hot path either.
     *
     * @throws IllegalStateException once the spool is closed
     */
    SpoolStats statsWithoutLock();

    /**
     * Whether event {@code id} was found damaged when it was read (it failed its CRC32C or its layout check) and was
     * quarantined: it will never be delivered, and the cursor moves over it. Any thread; cheap when nothing is
     * quarantined.
     */
    boolean isQuarantined(long id);

    /**
     * Throws if event {@code id} is quarantined: for a caller waiting for its acknowledgement, which will never come.
     *
     * @throws QuarantinedEventException naming the event and the file that keeps its bytes
     */
    void checkNotQuarantined(long id);

    /**
     * Throws if event {@code id} will never be delivered although the cursor passes it: it was quarantined, skipped
     * for its age ({@link SpoolConfig#maxEventAge()}) or dropped by {@link FullPolicy#DROP_OLDEST}. Expired and
     * dropped events are known to the process that skipped them. Any thread; cheap when there are none.
     *
     * @throws QuarantinedEventException when it was quarantined
     * @throws ExpiredEventException     when it was skipped for its age
     * @throws DroppedEventException     when DROP_OLDEST dropped it
     */
    void checkWillBeDelivered(long id);

    /**
     * Opens the spool's only reader, taking its exclusive lock.
     *
     * @throws SpoolLockedException when another reader holds the spool, in this process or another
     */
    SpoolReader openReader();

    /**
     * The pid of the process whose sender holds this spool's reader now, if any. Takes no lock, so asking never makes
     * a sender that starts at the same instant fail with {@link SpoolLockedException}.
     */
    OptionalLong senderPid();

    Path directory();

    @Override
    void close();
}
