package io.wssink.spool;

import java.io.File;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Decides whether the spool has room for another record, without touching the file system on most appends.
 *
 * <p>Chronicle grows its files a block at a time, so the bytes the spool takes on disk are measured by listing the
 * cycle files, then estimated by adding what was appended since. After each quarter block of appends only the current
 * file's length and the free space are read again (through a cached {@link File}: no garbage on the append path);
 * the directory is listed again when a new cycle starts (Chronicle maps a whole block for each new cycle file, however
 * little goes into it, so a block is counted for it in advance) and whenever the estimate says "full" (acks may have
 * freed files since). The same measure checks the file system's free space: Chronicle maps blocks of sparse files, and
 * writing into a block the disk cannot back kills the JVM with SIGBUS, so the spool stops short of that.
 * Appends by other processes are seen at the next measure. Not thread-safe: the spool's monitor guards it, as it
 * guards the appender (one lock per append, not three).
 */
final class SpoolCapacity {
    private static final long MIN_REMEASURE_NANOS = 2_000_000;

    private final CycleFiles cycleFiles;
    private final Path queueDir;
    private final File queueDirFile;
    private final long maxBytes;
    private final long minFreeDisk;
    private final long remeasureAfter;
    private final long blockSize;
    private int measuredCycle = Integer.MIN_VALUE;
    /** Whether the current cycle's file was missing at the last measure: it will take a whole file. */
    private boolean cycleFileMissing;
    private long measuredBytes;
    /** The files other than the current cycle's, at the last listing; and the current cycle's file. */
    private long otherFilesBytes;
    private File currentFile;
    private long freeDiskBytes;
    private long appendedSinceMeasure;
    private long lastMeasureNanos;

    SpoolCapacity(CycleFiles cycleFiles, long maxBytes, long minFreeDisk, long blockSize) {
        this.cycleFiles = cycleFiles;
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
        if (System.nanoTime() - lastMeasureNanos >= MIN_REMEASURE_NANOS) {
            measure();
        }
        return fits(recordBytes);
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
        return "the spool takes " + estimate() + " bytes of its limit " + maxBytes;
    }

    long diskBytes() {
        measure();
        return measuredBytes;
    }

    private boolean fits(long recordBytes) {
        return estimate() + recordBytes <= maxBytes && freeDiskBytes >= minFreeDisk;
    }

    private long estimate() {
        return measuredBytes + appendedSinceMeasure + (cycleFileMissing ? SpoolConfig.fileBytes(blockSize) : 0);
    }

    /** Lists the cycle files. Allocates: called once a cycle, and when full. */
    private void measure() {
        long total = 0;
        long current = 0;
        currentFile = measuredCycle == Integer.MIN_VALUE ? null : cycleFiles.fileFor(measuredCycle).toFile();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(queueDir, "*.cq4")) {
            for (Path f : files) {
                try {
                    long size = Files.size(f);
                    total += size;
                    if (currentFile != null && f.getFileName().toString().equals(currentFile.getName())) {
                        current = size;
                    }
                } catch (IOException e) {
                    // deleted by retention between listing and size
                }
            }
            FileStore store = Files.getFileStore(queueDir);
            freeDiskBytes = store.getUsableSpace();
        } catch (IOException e) {
            throw new SpoolException("cannot measure spool " + queueDir + ": " + e, e);
        }
        otherFilesBytes = total - current;
        cycleFileMissing = currentFile != null && current == 0 && !currentFile.exists();
        measuredBytes = total;
        appendedSinceMeasure = 0;
        lastMeasureNanos = System.nanoTime();
    }

    /** Reads the current file's length and the free space again; no listing, no garbage. */
    private void measureCurrentFile() {
        if (currentFile == null) {
            measure();
            return;
        }
        long current = currentFile.length(); // 0 if it does not exist yet
        cycleFileMissing = current == 0;
        freeDiskBytes = queueDirFile.getUsableSpace();
        measuredBytes = otherFilesBytes + current;
        appendedSinceMeasure = 0;
        lastMeasureNanos = System.nanoTime();
    }
}
