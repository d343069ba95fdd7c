package io.wssink.internal.spool;

import io.wssink.spool.SpoolException;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/**
 * The checks of files made when a spool is opened, before anything is appended or read: no cycle file was deleted by
 * hand, the last file was not cut short ({@link StreamIdentity} settles the metadata and the stream id). Each one refuses the spool with a message that
 * says what to do, or says and counts damage the spool can live with. Runs once, on the opening thread; holds no
 * state of its own.
 */
final class SpoolOpenChecks {
    private static final Logger log = LoggerFactory.getLogger(SpoolOpenChecks.class);

    private SpoolOpenChecks() {
    }

    /**
     * Chronicle appends at the write position kept in a file's header. If the last file was cut short by hand, that
     * position lies past the cut, where readers stop, and new events would never be read. Mapping the file extends it
     * with zeros again, so the test is not the file's length but the header at that position: in an intact file it is
     * the last document's, never zero. Refuse rather than lose events.
     */
    static void refuseTruncatedLastFile(SingleChronicleQueue queue, Path dir) {
        int last = queue.lastCycle();
        if (last == Integer.MIN_VALUE || last < 0) {
            return;
        }
        var store = queue.storeForCycle(last, queue.epoch(), false, null);
        if (store == null) {
            return;
        }
        try {
            long position = store.writePosition();
            if (position > 0 && headerAt(store.file().toPath(), position) == 0) {
                throw new SpoolException("spool " + dir + " is damaged: " + store.file() + " has no record where its"
                        + " last one was written (byte " + position + "; the file was cut short). Events appended to it"
                        + " would never be read. Move that file out of " + dir.resolve(SpoolDirectory.QUEUE)
                        + " (the files around it stay readable) and start again");
            }
        } finally {
            queue.closeStore(store);
        }
    }

    /**
     * The 4-byte document header at {@code position}, read with a file channel: reading it through the store's own
     * bytes maps a chunk that closing the store does not unmap (seen on Chronicle Queue 2026.4), and a spool opened
     * and closed again and again, by {@code status} say, would keep one file mapped each time.
     */
    static int headerAt(Path file, long position) {
        try (FileChannel ch = FileChannel.open(file)) {
            ByteBuffer header = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            while (header.hasRemaining() && ch.read(header, position + header.position()) >= 0) {
                // a sparse or short file reads as zeros, or ends
            }
            return header.hasRemaining() ? 0 : header.getInt(0);
        } catch (IOException e) {
            throw new SpoolException("cannot read " + file + ": " + e, e);
        }
    }

    /**
     * A cycle file the spool wrote into and did not delete was deleted by hand (or lost). If it is the file that appends
     * go into now, refuse: Chronicle would make it again and number new events from the start of the cycle, with the
     * ids of the deleted ones, which the cursor or the receivers may already hold, so new events would be dropped as
     * delivered. Otherwise the files around it are read as usual; each missing file is said once and counted.
     */
    static void checkCycleFiles(SingleChronicleQueue queue, CycleManifest manifest, CycleFiles cycleFiles,
                                SpoolCounters counters, Path directory) {
        int latest = manifest.latest();
        int now = queue.cycle();
        if (latest != Integer.MIN_VALUE && latest >= now && manifest.isRecorded(latest)
                && !Files.exists(cycleFiles.fileFor(latest))) {
            throw new SpoolException("spool " + directory + " is damaged: " + cycleFiles.fileFor(latest) + ", the file"
                    + " new events go into, is missing (deleted by hand?). New events would take the ids of the ones"
                    + " it held, which receivers may already have, and be dropped as duplicates. Put the file back,"
                    + " or open the spool after " + Instant.ofEpochMilli(epochMillisOf(queue, latest + 1))
                    + ", when events go into a new file");
        }
        for (int cycle : manifest.missing(cycleFiles, queue.firstCycle())) { // MAX_VALUE when there are no files
            if (manifest.forget(cycle)) { // lost to retention, which forgets a cycle before deleting it, when false
                counters.missingFiles.addAtomicValue(1);
                log.warn("spool {}: {} is missing (deleted by hand?): the events it held are lost; the files around it"
                        + " are read as usual", directory, cycleFiles.fileFor(cycle));
            }
        }
    }

    private static long epochMillisOf(SingleChronicleQueue queue, int cycle) {
        return queue.epoch() + cycle * queue.rollCycle().lengthInMillis();
    }
}
