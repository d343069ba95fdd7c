package io.wssink.internal.spool;

import io.wssink.spool.FullPolicy;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.wire.DocumentContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** The {@link SpoolReader} of a {@link ChronicleSpool}: a plain tailer, and the cursor in the metadata file. */
final class ChronicleSpoolReader implements SpoolReader {
    private static final Logger log = LoggerFactory.getLogger(ChronicleSpoolReader.class);
    /** The size kept in flight for a record that was read but will never be sent (damaged, or expired). */
    private static final long SKIPPED = -1;
    private static final long EXPIRY_LOG_EVERY_NANOS = 60_000_000_000L;

    /** All final fields are set by the constructor; the reader is used by one thread at a time (the forwarder's). */
    private final Path directory;
    private final SingleChronicleQueue queue;
    private final SpoolCounters counters;
    private final CycleFiles cycleFiles;
    private final CycleManifest manifest;
    private final SpoolLock lock;
    private final ExcerptTailer tailer;
    private final RecordCodec codec = new RecordCodec();
    private final RecordReader records = new RecordReader(4096);
    private final Quarantine quarantine;
    private final IdRanges expired;
    /** maxEventAge in milliseconds, or 0 when off. */
    private final long maxAgeMillis;
    /** The last record read was expired, and the run of expired records began at this id. Reading thread. */
    private boolean expiring;
    private long expiringFrom;
    private long lastExpiryLogNanos;
    /**
     * Ids and sizes of records read but not acked, oldest first, to count acked bytes; a damaged record is there with
     * size {@link #SKIPPED}, so that an ack of the record before it moves the cursor over it. Reading thread.
     */
    private long[] inFlightIds = new long[1024];
    private long[] inFlightBytes = new long[1024];
    private int inFlightHead;
    private int inFlightSize;
    private long inFlightTotal;
    /** Reading thread: set by next and rewind. */
    private long lastReadId;
    /**
     * Reading thread: the record next returned last (after a rewind: the last one delivered), whether records were
     * skipped on purpose since, and what {@link #gapBefore()} / {@link #gapAfter()} say of the record returned last.
     */
    private long lastReturnedId;
    private boolean skippedSinceReturned;
    private boolean gapBefore;
    private long gapAfter;
    /** Records stepped over by the last rewind: 1 on the indexed path; tests hold it to that. Reading thread. */
    int lastRewindSteps;
    /** Reading thread; set once by close. */
    private boolean closed;

    ChronicleSpoolReader(Path directory, SingleChronicleQueue queue, SpoolCounters counters, CycleFiles cycleFiles,
                         CycleManifest manifest, Quarantine quarantine, IdRanges expired, Duration maxEventAge,
                         SpoolLock lock) {
        this.directory = directory;
        this.queue = queue;
        this.counters = counters;
        this.cycleFiles = cycleFiles;
        this.manifest = manifest;
        this.lock = lock;
        this.quarantine = quarantine;
        this.expired = expired;
        this.maxAgeMillis = maxEventAge == null ? 0 : Math.max(1, maxEventAge.toMillis());
        this.tailer = queue.createTailer();
        this.tailer.singleThreadedCheckDisabled(true); // one thread at a time, possibly not the one that opened it
        if ((counters.retentionSeq.getVolatileValue() & 1) != 0) { // the last reader was killed during retention
            counters.retentionSeq.addAtomicValue(1);
        }
        if (counters.deliveredKnown.getVolatileValue() == 0) { // a spool made before gap notices: assume no gap
            counters.delivered.setOrderedValue(counters.ackCursor.getVolatileValue());
            counters.deliveredKnown.setOrderedValue(1);
        }
        rewind();
    }

    @Override
    public boolean next(SpoolRecord into) {
        applyDrop();
        long now = maxAgeMillis == 0 ? 0 : System.currentTimeMillis();
        while (true) {
            if (!records.next(tailer)) {
                return false;
            }
            long id = records.id();
            int length = records.length();
            lastReadId = id;
            String damage = codec.decode(records.buffer(), length, into);
            if (damage == null) {
                if (maxAgeMillis == 0 || now - into.timestampMillis <= maxAgeMillis) {
                    into.id = id;
                    expiring = false;
                    track(id, length);
                    gapBefore = skippedSinceReturned;
                    gapAfter = lastReturnedId;
                    skippedSinceReturned = false;
                    lastReturnedId = id;
                    return true;
                }
                expire(id, now - into.timestampMillis);
            } else if (quarantine.keep(id, records.buffer(), length)) {
                counters.corruptRecords.addAtomicValue(1);
                log.warn("spool {}: skipped damaged record {} ({}); its bytes are kept in {}", directory,
                        Long.toUnsignedString(id), damage, quarantine.file());
            }
            skippedSinceReturned = true;
            if (inFlightSize == 0) {
                // Everything read before it is acknowledged: the cursor moves over it now, or no ack ever would, and
                // a skipped record at the tail would keep the backlog above zero for good.
                counters.ackCursor.setOrderedValue(id);
            } else {
                track(id, SKIPPED);
            }
        }
    }

    /**
     * Skips a record older than maxEventAge: counted once (a record read again after a rewind or a restart is at or
     * below {@code expiredThrough}), known to {@link Spool#checkWillBeDelivered}, logged once a run (at most once a
     * minute), never sent.
     */
    private void expire(long id, long ageMillis) {
        if (Long.compareUnsigned(id, counters.expiredThrough.getVolatileValue()) > 0) {
            counters.expiredThrough.setOrderedValue(id);
            counters.expiredEvents.addAtomicValue(1);
            if (!expiring && System.nanoTime() - lastExpiryLogNanos >= EXPIRY_LOG_EVERY_NANOS) {
                lastExpiryLogNanos = System.nanoTime();
                log.warn("spool {}: event {} is {} ms old, older than maxEventAge {} ms: it and the ones after it that"
                                + " are as old are skipped, never sent (counted in expiredEvents)", directory,
                        Long.toUnsignedString(id), ageMillis, maxAgeMillis);
            }
        }
        if (!expiring) {
            expiring = true;
            expiringFrom = id;
        }
        expired.add(expiringFrom, id);
    }

    /**
     * Moves the cursor over what {@link FullPolicy#DROP_OLDEST} discarded: an appender (of any process) moved
     * {@code dropThrough}, and the cursor keeps this reader as its one writer. What was in flight up to there is
     * forgotten, and reading goes on after it, stepping over the dropped records to count their bytes as gone. One
     * volatile read when nothing was dropped.
     */
    private void applyDrop() {
        long through = counters.dropThrough.getVolatileValue();
        if (Long.compareUnsigned(through, ackedId()) <= 0) {
            return;
        }
        long last = lastAppendedId();
        if (Long.compareUnsigned(through, last) > 0) {
            through = last; // a power cut lost events it covered: never a cursor past the data
            if (Long.compareUnsigned(through, ackedId()) <= 0) {
                return;
            }
        }
        long bytes = 0;
        while (inFlightSize > 0 && Long.compareUnsigned(inFlightIds[inFlightHead], through) <= 0) {
            if (inFlightBytes[inFlightHead] != SKIPPED) {
                bytes += inFlightBytes[inFlightHead];
            }
            inFlightHead = (inFlightHead + 1) % inFlightIds.length;
            inFlightSize--;
        }
        inFlightTotal -= bytes;
        if (Long.compareUnsigned(lastReadId, through) < 0) {
            while (true) {
                try (DocumentContext dc = tailer.readingDocument()) {
                    if (!dc.isPresent()) {
                        break;
                    }
                    if (Long.compareUnsigned(dc.index(), through) > 0) {
                        dc.rollbackOnClose(); // the first record kept: read next
                        break;
                    }
                    bytes += dc.wire().bytes().readRemaining();
                    skippedSinceReturned = true; // never sent: the next record sent comes after a gap
                }
            }
            lastReadId = through;
            expiring = false;
        }
        counters.ackCursor.setOrderedValue(through);
        counters.ackedBytes.addAtomicValue(bytes); // gone from the backlog's bytes, as acked ones are
    }

    private void track(long id, long bytes) {
        if (inFlightSize == inFlightIds.length) {
            long[] ids = new long[inFlightIds.length * 2];
            long[] sizes = new long[ids.length];
            for (int i = 0; i < inFlightSize; i++) {
                int j = (inFlightHead + i) % inFlightIds.length;
                ids[i] = inFlightIds[j];
                sizes[i] = inFlightBytes[j];
            }
            inFlightIds = ids;
            inFlightBytes = sizes;
            inFlightHead = 0;
        }
        int tail = (inFlightHead + inFlightSize) % inFlightIds.length;
        inFlightIds[tail] = id;
        inFlightBytes[tail] = bytes;
        inFlightSize++;
        if (bytes != SKIPPED) {
            inFlightTotal += bytes;
        }
    }

    @Override
    public long lastReadId() {
        return lastReadId;
    }

    @Override
    public boolean gapBefore() {
        return gapBefore;
    }

    @Override
    public long gapAfter() {
        return gapAfter;
    }

    @Override
    public long deliveredId() {
        return counters.delivered.getVolatileValue();
    }

    @Override
    public long ackedId() {
        return counters.ackCursor.getVolatileValue();
    }

    @Override
    public long ack(long id) {
        applyDrop();
        long cursor = ackedId();
        if (Long.compareUnsigned(id, cursor) <= 0) {
            return 0;
        }
        if (Long.compareUnsigned(id, lastReadId) > 0) {
            throw new IllegalArgumentException("ack " + Long.toUnsignedString(id) + " is past the last record read "
                    + Long.toUnsignedString(lastReadId));
        }
        counters.delivered.setOrderedValue(id); // acks name records sent: past every earlier ack and delivery
        long events = 0;
        long bytes = 0;
        long cursorTo = id;
        while (inFlightSize > 0 && (Long.compareUnsigned(inFlightIds[inFlightHead], id) <= 0
                || inFlightBytes[inFlightHead] == SKIPPED)) {
            if (inFlightBytes[inFlightHead] == SKIPPED) {
                cursorTo = Long.compareUnsigned(inFlightIds[inFlightHead], cursorTo) > 0 ? inFlightIds[inFlightHead]
                        : cursorTo; // damaged records right after the ack: nothing will ever ack them
            } else {
                bytes += inFlightBytes[inFlightHead];
                events++;
            }
            inFlightHead = (inFlightHead + 1) % inFlightIds.length;
            inFlightSize--;
        }
        counters.ackCursor.setOrderedValue(cursorTo);
        inFlightTotal -= bytes;
        counters.ackedBytes.addAtomicValue(bytes);
        return events;
    }

    @Override
    public long inFlightBytes() {
        return inFlightTotal;
    }

    @Override
    public long lastAppendedId() {
        long last = queue.lastIndex();
        return last == -1 ? Spool.NONE : last;
    }

    @Override
    public boolean hasNext() {
        try (DocumentContext dc = tailer.readingDocument()) {
            if (!dc.isPresent()) {
                return false;
            }
            dc.rollbackOnClose(); // left to be read by next()
            return true;
        }
    }

    @Override
    public long skipTo(long id) {
        applyDrop(); // what DROP_OLDEST dropped is stepped over, not counted as acknowledged
        long cursor = ackedId();
        if (Long.compareUnsigned(id, cursor) <= 0) {
            return 0;
        }
        if (Long.compareUnsigned(id, lastAppendedId()) > 0) {
            throw new IllegalArgumentException("cannot skip to " + Long.toUnsignedString(id)
                    + ": past the last record appended " + Long.toUnsignedString(lastAppendedId()));
        }
        // from the queue's index, not a scan: [cursor, id) has as many records as (cursor, id]
        long events;
        try {
            events = cursor == Spool.NONE ? queue.countExcerpts(queue.firstIndex(), id) + 1
                    : queue.countExcerpts(cursor, id);
        } catch (IllegalStateException e) { // a file changing under the count: the skip matters, not its count
            log.warn("spool {}: cannot count the events skipped to {} ({}); they are left out of the acked count",
                    directory, Long.toUnsignedString(id), e.toString());
            events = 0;
        }
        counters.ackCursor.setOrderedValue(id);
        counters.delivered.setOrderedValue(id); // the receiver holds everything up to it
        rewind();
        return events;
    }

    @Override
    public void rewind() {
        applyDrop();
        long cursor = ackedId();
        expiring = false;
        inFlightSize = 0;
        inFlightHead = 0;
        inFlightTotal = 0;
        lastReadId = cursor;
        lastReturnedId = deliveredId();
        skippedSinceReturned = Long.compareUnsigned(cursor, lastReturnedId) > 0; // moved over records never acked
        gapBefore = false;
        lastRewindSteps = RecordReader.positionAfter(tailer, cursor);
    }

    @Override
    public void rewindCursorTo(long id) {
        if (Long.compareUnsigned(id, ackedId()) < 0) {
            if (id == Spool.NONE) {
                counters.ackedBytes.setOrderedValue(0); // else the next open would take this for a zeroed cursor
            }
            counters.ackCursor.setOrderedValue(id);
            if (Long.compareUnsigned(counters.dropThrough.getVolatileValue(), id) > 0) {
                counters.dropThrough.setOrderedValue(id); // a rewind sends the dropped events again too
            }
            if (Long.compareUnsigned(deliveredId(), id) > 0) {
                counters.delivered.setOrderedValue(id);
            }
        }
        rewind();
    }

    @Override
    public long idBefore(Instant time) {
        long millis = time.toEpochMilli();
        long result = Spool.NONE;
        try (ExcerptTailer t = queue.createTailer()) {
            SpoolRecord r = new SpoolRecord();
            RecordReader scan = new RecordReader(4096);
            t.toStart();
            while (scan.next(t)) {
                if (codec.decode(scan.buffer(), scan.length(), r) == null && r.timestampMillis() >= millis) {
                    return result;
                }
                result = scan.id();
            }
            return result;
        }
    }

    @Override
    public int retain() {
        applyDrop();
        long cursor = ackedId();
        if (cursor == Spool.NONE) {
            return 0;
        }
        RollCycle roll = queue.rollCycle();
        // Only files before the cursor's cycle go: they hold acked events alone. The cursor's own file stays, even
        // when the cursor looks like its last record: an appender in another process may still be finishing a record
        // in it, and rewind finds the cursor's record there.
        int keepFrom = roll.toCycle(cursor);
        int first = queue.firstCycle(); // from Chronicle's cached listing: a cheap test before listing the directory
        if (first == Integer.MAX_VALUE || first >= keepFrom) {
            return 0;
        }
        List<Integer> cycles;
        try {
            cycles = cycleFiles.cyclesBefore(keepFrom);
        } catch (IOException e) {
            log.warn("spool {}: cannot list the queue directory to delete acknowledged files: {}", directory,
                    e.toString());
            return 0;
        }
        if (cycles.isEmpty()) {
            queue.refreshDirectoryListing(); // its first cycle is stale: else the directory is listed at every call
            return 0;
        }
        counters.ackCursor.setVolatileValue(cursor); // a full fence: the cursor is in place before any deletion
        int deleted = 0;
        counters.retentionSeq.addAtomicValue(1); // odd: the appended count is being moved from files to retired
        try (ExcerptTailer counter = queue.createTailer()) {
            for (int cycle : cycles) {
                Path file = cycleFiles.fileFor(cycle);
                long events = counter.excerptsInCycle(cycle);
                manifest.forget(cycle); // first: a file that is gone while still recorded was lost
                try {
                    if (Files.deleteIfExists(file)) {
                        // kept in the count of appended events; a kill -9 right between the two leaves it out
                        counters.retiredEvents.addAtomicValue(events);
                        deleted++;
                    }
                } catch (IOException e) {
                    log.warn("spool {}: cannot delete acknowledged file {}: {}", directory, file, e.toString());
                }
            }
        } finally {
            if (deleted > 0) {
                queue.refreshDirectoryListing();
            }
            counters.retentionSeq.addAtomicValue(1);
        }
        return deleted;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            tailer.close();
            lock.close();
        }
    }
}
