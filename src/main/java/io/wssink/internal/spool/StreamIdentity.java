package io.wssink.internal.spool;

import io.wssink.internal.spool.SpoolDirectory.Marker;
import io.wssink.spool.SpoolException;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.UUID;

/**
 * The stream id a spool sends under, settled when it opens: whether the metadata (the ack cursor) belongs to this
 * spool, and whether the spool must fork, taking a new stream id, because its old one would let receivers take new
 * events for duplicates (a copy, a power cut). The other open checks, of files and headers, are
 * {@link SpoolOpenChecks}'. Runs once, on the opening thread; holds no state of its own.
 */
final class StreamIdentity {
    private static final Logger log = LoggerFactory.getLogger(StreamIdentity.class);

    private StreamIdentity() {
    }

    /**
     * The metadata file holds the cursor; one copied from another spool would make this one skip or repeat events.
     * A metadata file that is new while the queue has records was lost: the cursor starts over, and receivers drop
     * what they already hold. One that holds the stream id the marker says this spool forked from is this spool's,
     * left behind by a crash in the middle of the fork: it takes the new id.
     *
     * @return the marker the metadata was checked against: read again if another process forked the spool meanwhile
     */
    static Marker checkMetadataBelongs(SingleChronicleQueue queue, SpoolCounters counters, Path directory,
                                       Marker marker) {
        long high = counters.streamHigh.getVolatileValue();
        long low = counters.streamLow.getVolatileValue();
        if (high == 0 && low == 0) {
            if (queue.lastIndex() != -1) {
                log.warn("spool {}: its metadata (ack cursor) was lost; everything in it will be sent again, and"
                        + " receivers drop what they hold", directory);
            }
            setStream(counters, marker.streamId());
        } else if (counters.ackCursor.getVolatileValue() == Spool.NONE && counters.ackedBytes.getVolatileValue() > 0) {
            // acks were counted, yet the cursor says nothing was acked: it was zeroed
            log.warn("spool {}: its ack cursor was reset to nothing although {} bytes were acknowledged; everything"
                    + " still in it will be sent again, and receivers drop what they hold", directory,
                    counters.ackedBytes.getVolatileValue());
            counters.corruptRecords.addAtomicValue(1);
            counters.ackedBytes.setOrderedValue(0);
        } else if (!isStream(high, low, marker.streamId())) {
            if (isStream(high, low, marker.forkedFrom())) {
                setStream(counters, marker.streamId()); // the fork wrote the marker, then died: finish it
                return marker;
            }
            Marker again = SpoolDirectory.readMarker(directory);
            if (!again.equals(marker)) {
                return checkMetadataBelongs(queue, counters, directory, again); // forked meanwhile by another process
            }
            throw new SpoolException(directory.resolve(SpoolDirectory.QUEUE).resolve("metadata.cq4t")
                    + " belongs to another spool (stream " + new UUID(high, low) + ", not " + marker.streamId()
                    + "): its ack cursor would skip or repeat events. Restore this spool's own file, or delete it to"
                    + " send everything again");
        }
        return marker;
    }

    private static boolean isStream(long high, long low, String streamId) {
        if (streamId.isEmpty()) {
            return false;
        }
        UUID id = UUID.fromString(streamId);
        return high == id.getMostSignificantBits() && low == id.getLeastSignificantBits();
    }

    private static void setStream(SpoolCounters counters, String streamId) {
        UUID id = UUID.fromString(streamId);
        counters.streamHigh.setOrderedValue(id.getMostSignificantBits());
        counters.streamLow.setOrderedValue(id.getLeastSignificantBits());
    }

    /**
     * Decides the stream id the spool sends under, taking a new one when the old one would let receivers take new
     * events for duplicates (spec section 1: "two spools never send different events under one stream id"):
     * <ul>
     * <li>the spool was copied: its directory is not the one it was made in (another device or inode: {@code cp -a},
     *     a container image, another disk) or it is on another machine (machine id). The copy and the original would
     *     send different events under the same ids.</li>
     * <li>the machine went down while a process had the spool open ({@link OpenMarks}): the tail of the data may be
     *     lost after a receiver took it, whatever the cursor says.</li>
     * <li>the ack cursor is past the last record: the data after the cursor never reached the disk (a power cut with
     *     {@code PROCESS} or {@code syncInterval} durability, which sync the cursor and the data separately), and new
     *     events would take ids that receivers already hold. The cursor is also brought back to the last record, or
     *     the reader would step over the new events.</li>
     * </ul>
     * A fork writes the marker first (new id, the old one as {@code forkedFrom}), then the metadata, all under
     * {@code fork.lock}, so that processes opening at once fork once, and a crash between leaves a spool that finishes
     * the fork on the next open (see {@link #checkMetadataBelongs}). A receiver sees a new stream: it may get again
     * events that were in flight, never lose one. A marker from before markers said where they were made learns it
     * now, without a fork.
     *
     * @return the marker as it is now: its stream id is the one to send under
     */
    static Marker settleStream(SingleChronicleQueue queue, SpoolCounters counters, Path directory, Marker marker) {
        String home = SpoolDirectory.home(directory);
        String machine = SpoolDirectory.machineId();
        String boot = OpenMarks.bootId();
        if (forkReason(queue, counters, directory, marker, home, machine) == null && !marker.home().isEmpty()
                && !OpenMarks.earlierBootLeftOne(directory, boot)) {
            return marker;
        }
        try (ForkLock ignored = ForkLock.take(directory)) {
            Marker now = SpoolDirectory.readMarker(directory); // another process may have forked it meanwhile
            if (!now.streamId().equals(marker.streamId())) {
                now = checkMetadataBelongs(queue, counters, directory, now);
            }
            String reason = forkReason(queue, counters, directory, now, home, machine);
            if (reason == null && OpenMarks.earlierBootLeftOne(directory, boot)) {
                reason = "the machine went down while a process had the spool open (a power cut, or a crash of the"
                        + " machine): the last events may have been lost from the spool after a receiver took them,"
                        + " and new events would take their ids";
            }
            if (reason == null) {
                if (now.home().isEmpty()) {
                    now = new Marker(now.streamId(), home, machine, now.forkedFrom(), now.forkReason());
                    SpoolDirectory.writeMarker(directory, now);
                }
                return now;
            }
            String streamId = UUID.randomUUID().toString();
            Marker forked = new Marker(streamId, home, machine, now.streamId(), reason);
            SpoolDirectory.writeMarker(directory, forked);
            counters.streamForks.addAtomicValue(1);
            long cursor = counters.ackCursor.getVolatileValue();
            long last = lastId(queue);
            if (cursor != Spool.NONE && Long.compareUnsigned(cursor, last) > 0) {
                counters.ackCursor.setOrderedValue(last);
                if (last == Spool.NONE) {
                    counters.ackedBytes.setOrderedValue(0); // else the next open takes it for a zeroed cursor
                }
            }
            setStream(counters, streamId);
            OpenMarks.clearEarlierBoots(directory, boot);
            log.warn("spool {}: took a new stream id {} (was {}) because {}. Receivers see a new stream: they may get"
                    + " again events that were in flight, and lose none", directory, streamId, now.streamId(), reason);
            return forked;
        }
    }

    /** Why the spool must take a new stream id, or null. */
    private static String forkReason(SingleChronicleQueue queue, SpoolCounters counters, Path directory,
                                     Marker marker, String home, String machine) {
        if (!marker.home().isEmpty() && !home.isEmpty() && !marker.home().equals(home)) {
            return "it was copied: it was made in the directory at device:inode " + marker.home() + ", and is now"
                    + " in " + home;
        }
        if (!marker.machine().isEmpty() && !machine.isEmpty() && !marker.machine().equals(machine)) {
            return "it was copied: it was made on machine " + marker.machine() + ", and is now on " + machine;
        }
        // The cursor first, then the files: the record it names was written before it was acknowledged, so a file
        // another process began since this queue listed them is seen, and only lost data makes the cursor look past it.
        long cursor = counters.ackCursor.getVolatileValue();
        if (cursor == Spool.NONE) {
            return null;
        }
        queue.refreshDirectoryListing();
        long last = lastId(queue);
        // A running sender opened the spool after any power cut and forked it then: what looks like a cursor past the
        // data now is a race with its acks, not a loss.
        if (Long.compareUnsigned(cursor, last) > 0 && SpoolLock.holder(directory).isEmpty()) {
            return "its ack cursor " + Long.toUnsignedString(cursor) + " is past its last record "
                    + (last == Spool.NONE ? "(it has none)" : Long.toUnsignedString(last)) + ": the events after"
                    + " the cursor never reached the disk (a power cut?), and new events would take ids that receivers"
                    + " already hold";
        }
        return null;
    }

    private static long lastId(SingleChronicleQueue queue) {
        long last = queue.lastIndex();
        return last == -1 ? Spool.NONE : last;
    }
}
