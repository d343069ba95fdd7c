package io.wssink.internal.spool;

import io.wssink.spool.SpoolException;
import net.openhft.chronicle.core.values.LongValue;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.wire.DocumentContext;

import java.io.File;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Decides whether the spool has room for another record, without touching the file system on most appends.
 *
 * <p>{@code maxSpoolBytes} bounds the <em>unacknowledged</em> part of the spool, so that a spool whose receiver keeps
 * up is never full, however much goes through it within one cycle (an hour by default): the bytes counted are those
 * of the cycle files after the cursor's, and of the cursor's own file from the end of the cursor's record on. Files
 * before the cursor's hold acknowledged events only (retention deletes them), and the acknowledged part of the
 * cursor's file cannot be handed back before its cycle ends (Chronicle's files are whole-cycle), so they are not
 * counted; the disk's free-space floor still holds for them.
 *
 * <p>Chronicle grows its files a block at a time, so these bytes are measured by listing the cycle files, then
 * estimated by adding what was appended since. After each quarter block of appends only the current file's length,
 * the cursor's place in it and the free space are read again (through a cached {@link File}: no garbage on the append
 * path); the directory is listed again when a new cycle starts (Chronicle maps a whole block for each new cycle file,
 * however little goes into it, so a block is counted for it in advance) and whenever the estimate says "full" (acks
 * may have freed room since). The same measure checks the file system's free space: Chronicle maps blocks of sparse
 * files, and writing into a block the disk cannot back kills the JVM with SIGBUS, so the spool stops short of that.
 * Appends by other processes, and acks, are seen at the next measure. Not thread-safe: the spool's monitor guards it,
 * as it guards the appender (one lock per append, not three).
 */
final class SpoolCapacity implements AutoCloseable {
    private static final long MIN_REMEASURE_NANOS = 2_000_000;
    private static final long STATUS_LISTING_NANOS = 1_000_000_000;

    // Set by the constructor.
    private final CycleFiles cycleFiles;
    private final Path queueDir;
    private final File queueDirFile;
    private final SingleChronicleQueue queue;
    private final RollCycle rollCycle;
    /** Shared memory: the cursor, moved by the reader of any process. */
    private final LongValue ackCursor;
    /** Shared memory: what DROP_OLDEST discarded, which counts as acknowledged here before the reader moves the
     * cursor over it (an appender needs the room at once). */
    private final LongValue dropThrough;
    private final long maxBytes;
    private final long minFreeDisk;
    private final long remeasureAfter;
    private final long blockSize;

    // The rest is guarded by the spool's monitor.
    /** Finds where the cursor's record ends; made on first use. */
    private ExcerptTailer tailer;
    private int measuredCycle = Integer.MIN_VALUE;
    /** Whether the current cycle's file was missing at the last measure: it will take a whole file. */
    private boolean cycleFileMissing;
    /** Unacknowledged bytes on disk at the last measure. */
    private long measuredBytes;
    /** Every cycle file's bytes at the last listing, acknowledged or not: what {@code status} shows. */
    private long diskBytes;
    /** Unacknowledged bytes of the files other than the current cycle's, at the last listing. */
    private long otherFilesBytes;
    private File currentFile;
    private long freeDiskBytes;
    private long appendedSinceMeasure;
    private long lastMeasureNanos;
    private long lastListingNanos;

    SpoolCapacity(SingleChronicleQueue queue, CycleFiles cycleFiles, LongValue ackCursor, LongValue dropThrough,
                  long maxBytes, long minFreeDisk, long blockSize) {
        this.queue = queue;
        this.rollCycle = queue.rollCycle();
        this.cycleFiles = cycleFiles;
        this.ackCursor = ackCursor;
        this.dropThrough = dropThrough;
        this.queueDir = cycleFiles.directory();
        this.queueDirFile = queueDir.toFile();
        this.maxBytes = maxBytes;
        this.minFreeDisk = minFreeDisk;
        this.remeasureAfter = Math.max(4096, blockSize / 4);
        this.blockSize = blockSize;
        measure();
    }

    /**
     * Whether {@code recordBytes} more fit into {@code cycle}, the queue's current cycle; call {@link #appended(long)}
     * after writing them.
     */
    boolean hasRoomFor(long recordBytes, int cycle) {
        if (cycle != measuredCycle) {
            measuredCycle = cycle;
            measure();
        } else if (appendedSinceMeasure >= remeasureAfter) {
            measureCurrentFile();
        }
        if (fits(recordBytes)) {
            return true;
        }
        if (System.nanoTime() - lastListingNanos >= MIN_REMEASURE_NANOS) {
            measure();
        }
        return fits(recordBytes);
    }

    /** The cursor, or what DROP_OLDEST discarded when that is further: the end of what no longer counts. */
    long cursor() {
        long acked = ackCursor.getVolatileValue();
        long dropped = dropThrough.getVolatileValue();
        return Long.compareUnsigned(dropped, acked) > 0 ? dropped : acked;
    }

    /** Lists the files again at once: DROP_OLDEST just made room. */
    void remeasure() {
        measure();
    }

    void appended(long recordBytes) {
        appendedSinceMeasure += recordBytes;
    }

    /** Why the spool is full, for the exception's message. */
    String fullReason() {
        if (freeDiskBytes < minFreeDisk) {
            return "the disk holding " + queueDir + " has " + freeDiskBytes + " bytes free, below the floor of "
                    + minFreeDisk;
        }
        return "the spool takes " + estimate() + " bytes of unacknowledged events, of its limit " + maxBytes;
    }

    /** Whether the disk's free space was below its floor at the last measure. */
    boolean diskShort() {
        return freeDiskBytes < minFreeDisk;
    }

    /**
     * What every cycle file takes on disk, as of a listing at most a second old: a status poll (the demo's live line,
     * a metrics scrape) lists the directory under the spool's monitor, which every append needs, so it may do so
     * once a second, not at every call.
     */
    long diskBytes() {
        if (System.nanoTime() - lastListingNanos >= STATUS_LISTING_NANOS) {
            measure();
        }
        return diskBytes;
    }

    private boolean fits(long recordBytes) {
        return estimate() + recordBytes <= maxBytes && freeDiskBytes >= minFreeDisk;
    }

    private long estimate() {
        return measuredBytes + appendedSinceMeasure + (cycleFileMissing ? SpoolConfig.fileBytes(blockSize) : 0);
    }

    /** Lists the cycle files. Allocates: called once a cycle, and when full. */
    private void measure() {
        long cursor = cursor();
        String cursorFile = cursor == Spool.NONE ? null
                : cycleFiles.fileFor(rollCycle.toCycle(cursor)).getFileName().toString();
        long ackedEnd = -1; // where the cursor's record ends in its file, once found
        long total = 0;
        long unacked = 0;
        long current = 0;
        long currentUnacked = 0;
        currentFile = measuredCycle == Integer.MIN_VALUE ? null : cycleFiles.fileFor(measuredCycle).toFile();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(queueDir, "*.cq4")) {
            for (Path f : files) {
                long size;
                try {
                    size = Files.size(f);
                } catch (IOException e) {
                    continue; // deleted by retention between listing and size
                }
                String name = f.getFileName().toString();
                // Chronicle's names sort as their cycles do (a date and time, most significant first)
                int order = cursorFile == null ? 1 : name.compareTo(cursorFile);
                long fileUnacked = size;
                if (order < 0) {
                    fileUnacked = 0; // acknowledged, waiting for retention
                } else if (order == 0) {
                    ackedEnd = ackedEnd >= 0 ? ackedEnd : endOf(cursor);
                    // A file of a past cycle whose last record is the cursor's holds nothing unacknowledged and
                    // will not grow: its padding is not counted (DROP_OLDEST leaves the cursor there, and counting
                    // it would make it drop a second file for room the first one gave).
                    boolean past = currentFile == null || !name.equals(currentFile.getName());
                    fileUnacked = past && ackedEnd > 0 && endsItsCycle(cursor) ? 0 : Math.max(0, size - ackedEnd);
                }
                total += size;
                unacked += fileUnacked;
                if (currentFile != null && name.equals(currentFile.getName())) {
                    current = size;
                    currentUnacked = fileUnacked;
                }
            }
            FileStore store = Files.getFileStore(queueDir);
            freeDiskBytes = store.getUsableSpace();
        } catch (IOException e) {
            throw new SpoolException("cannot measure spool " + queueDir + ": " + e, e);
        }
        otherFilesBytes = unacked - currentUnacked;
        cycleFileMissing = currentFile != null && current == 0 && !currentFile.exists();
        diskBytes = total;
        measuredBytes = unacked;
        appendedSinceMeasure = 0;
        lastMeasureNanos = System.nanoTime();
        lastListingNanos = lastMeasureNanos;
    }

    /** Reads the current file's length, the cursor's place in it and the free space again; no listing, no garbage. */
    private void measureCurrentFile() {
        if (currentFile == null) {
            measure();
            return;
        }
        long current = currentFile.length(); // 0 if it does not exist yet
        cycleFileMissing = current == 0;
        long cursor = cursor();
        if (cursor != Spool.NONE && rollCycle.toCycle(cursor) == measuredCycle) {
            current = Math.max(0, current - endOf(cursor)); // the receiver keeps up: only the tail after it counts
        }
        freeDiskBytes = queueDirFile.getUsableSpace();
        measuredBytes = otherFilesBytes + current;
        appendedSinceMeasure = 0;
        lastMeasureNanos = System.nanoTime();
    }

    /** The byte in its file where the record {@code id} ends, through Chronicle's index; 0 if it is not there. */
    private long endOf(long id) {
        if (tailer == null) {
            tailer = queue.createTailer();
            tailer.singleThreadedCheckDisabled(true); // used by whichever thread holds the spool's monitor
        }
        if (!tailer.moveToIndex(id)) {
            return 0;
        }
        try (DocumentContext dc = tailer.readingDocument()) {
            return dc.isPresent() ? dc.wire().bytes().readLimit() : 0;
        }
    }

    /** Whether no record follows {@code id} in its cycle; right after {@link #endOf(long)} found it. */
    private boolean endsItsCycle(long id) {
        try (DocumentContext dc = tailer.readingDocument()) {
            boolean ends = !dc.isPresent() || rollCycle.toCycle(dc.index()) != rollCycle.toCycle(id);
            dc.rollbackOnClose();
            return ends;
        }
    }

    @Override
    public void close() {
        if (tailer != null) {
            tailer.close();
        }
    }
}
