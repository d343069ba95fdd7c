package io.wssink.internal.spool;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.wire.DocumentContext;

/**
 * Reads whole stored records from a Chronicle tailer into a buffer of its own, which grows to the largest record and
 * is reused, so reading allocates nothing once it has grown. The one place that copies a document out of Chronicle:
 * the reader, {@code idBefore}, rewind and the stats scan all read through it. Belongs to one thread at a time, as
 * its tailer does.
 */
final class RecordReader {
    /** Grown by {@link #next}, on the owning thread, to the largest record read. */
    private byte[] buffer;
    /** The id and stored length of the record last read; set by {@link #next}, on the owning thread. */
    private long id;
    private int length;

    RecordReader(int initialBytes) {
        this.buffer = new byte[initialBytes];
    }

    /** Reads the next record of {@code tailer} whole into {@link #buffer()}; false, and nothing read, at the end. */
    boolean next(ExcerptTailer tailer) {
        try (DocumentContext dc = tailer.readingDocument()) {
            if (!dc.isPresent()) {
                return false;
            }
            Bytes<?> bytes = dc.wire().bytes();
            int n = (int) bytes.readRemaining();
            if (buffer.length < n) {
                buffer = new byte[Math.max(n, buffer.length * 2)];
            }
            bytes.read(buffer, 0, n);
            id = dc.index();
            length = n;
            return true;
        }
    }

    /** The record last read is {@code buffer()[0..length())}; valid until the next call. */
    byte[] buffer() {
        return buffer;
    }

    int length() {
        return length;
    }

    long id() {
        return id;
    }

    /**
     * Positions {@code tailer} so that its next document is the first record after {@code cursor}, and returns how
     * many records it stepped over: 1 when the cursor's own record is still there, found in O(1) through Chronicle's
     * index; otherwise (no cursor, or its record is gone: retention deleted its file, or a power cut lost it) it starts
     * from the oldest record and steps over every one the cursor covers.
     */
    static int positionAfter(ExcerptTailer tailer, long cursor) {
        if (cursor != Spool.NONE && tailer.moveToIndex(cursor)) {
            try (DocumentContext ignored = tailer.readingDocument()) {
                return 1; // the cursor's own record, delivered already
            }
        }
        tailer.toStart();
        int steps = 0;
        while (true) {
            try (DocumentContext dc = tailer.readingDocument()) {
                if (!dc.isPresent()) {
                    return steps;
                }
                if (Long.compareUnsigned(dc.index(), cursor) > 0) {
                    dc.rollbackOnClose(); // leave it to be read next
                    return steps;
                }
                steps++;
            }
        }
    }
}
