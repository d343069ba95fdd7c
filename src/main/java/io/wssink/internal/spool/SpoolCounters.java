package io.wssink.internal.spool;

import io.wssink.spool.FullPolicy;
import net.openhft.chronicle.core.values.LongValue;
import net.openhft.chronicle.queue.ChronicleQueue;

/**
 * The spool's persistent numbers, each an 8-byte aligned value in Chronicle's memory-mapped metadata file
 * ({@code metadata.cq4t}), shared by every process that opens the spool. An aligned 8-byte store is atomic, so a
 * kill -9 leaves each value old or new, never torn: the ack cursor relies on that. Additions are atomic across
 * processes. This is the storage Chronicle itself uses for named tailers' indices.
 */
final class SpoolCounters implements AutoCloseable {
    final LongValue ackCursor;
    /**
     * Events in the cycle files retention deleted: with the events in the files there now, every event appended. The
     * number of events is read from the files rather than counted at each append, so that it stays exact when an
     * appending process is killed.
     */
    final LongValue retiredEvents;
    /**
     * Odd while retention deletes files and adds their events to {@link #retiredEvents}: a reader of the appended
     * count (the files' events plus the retired ones) reads it before and after, and counts again if it moved or was
     * odd, else a file deleted between the two reads went missing from both and the figure dipped.
     */
    final LongValue retentionSeq;
    /** Added in batches by each appending process: a process killed by kill -9 loses its last batch (63 at most). */
    final LongValue appendedBytes;
    final LongValue ackedBytes;
    final LongValue droppedEvents;
    final LongValue corruptRecords;
    final LongValue missingFiles;
    /** The stream id's two halves, so that a metadata file from another spool is recognised (its cursor would skip
     * or repeat this stream's events). Both zero: the metadata is new, or was lost. */
    final LongValue streamHigh;
    final LongValue streamLow;
    /** How many times the spool took a new stream id (it was copied, or its cursor was past its data). */
    final LongValue streamForks;
    /**
     * {@link FullPolicy#DROP_OLDEST}: everything up to this id is discarded. Moved forward (compare-and-swap) by an
     * appender of any process; the reader moves the cursor to it, so that the cursor keeps one writer.
     */
    final LongValue dropThrough;
    /** Events discarded by DROP_OLDEST, and the first and last id of the last range discarded. */
    final LongValue droppedOldestEvents;
    final LongValue droppedOldestFirst;
    final LongValue droppedOldestLast;
    /** Events skipped for their age; and the highest id counted, so that one read again is not counted again. */
    final LongValue expiredEvents;
    final LongValue expiredThrough;
    /**
     * The highest id a receiver acknowledged (or, after a resume ack, said it holds): the cursor less what it moved
     * over without an ack (expired, damaged or dropped records). Where the cursor is past it, the records between were
     * skipped on purpose, and the next connection says so before it sends (a gap notice, docs/PROTOCOL.md). Written
     * by the reader only. {@code deliveredKnown} is 0 in a spool made before this value existed: then the reader
     * starts it at the cursor.
     */
    final LongValue delivered;
    final LongValue deliveredKnown;

    SpoolCounters(ChronicleQueue queue) {
        ackCursor = queue.indexForId("wssink.ack");
        retiredEvents = queue.indexForId("wssink.retired.events");
        retentionSeq = queue.indexForId("wssink.retention.seq");
        appendedBytes = queue.indexForId("wssink.appended.bytes");
        ackedBytes = queue.indexForId("wssink.acked.bytes");
        droppedEvents = queue.indexForId("wssink.dropped.events");
        corruptRecords = queue.indexForId("wssink.corrupt.records");
        missingFiles = queue.indexForId("wssink.missing.files");
        streamHigh = queue.indexForId("wssink.stream.high");
        streamLow = queue.indexForId("wssink.stream.low");
        streamForks = queue.indexForId("wssink.stream.forks");
        dropThrough = queue.indexForId("wssink.drop.through");
        droppedOldestEvents = queue.indexForId("wssink.dropped.oldest.events");
        droppedOldestFirst = queue.indexForId("wssink.dropped.oldest.first");
        droppedOldestLast = queue.indexForId("wssink.dropped.oldest.last");
        expiredEvents = queue.indexForId("wssink.expired.events");
        expiredThrough = queue.indexForId("wssink.expired.through");
        delivered = queue.indexForId("wssink.delivered");
        deliveredKnown = queue.indexForId("wssink.delivered.known");
    }

    @Override
    public void close() {
        ackCursor.close();
        retiredEvents.close();
        retentionSeq.close();
        appendedBytes.close();
        ackedBytes.close();
        droppedEvents.close();
        corruptRecords.close();
        missingFiles.close();
        streamHigh.close();
        streamLow.close();
        streamForks.close();
        dropThrough.close();
        droppedOldestEvents.close();
        droppedOldestFirst.close();
        droppedOldestLast.close();
        expiredEvents.close();
        expiredThrough.close();
        delivered.close();
        deliveredKnown.close();
    }
}
