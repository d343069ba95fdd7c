package io.wssink.internal.spool;

import io.wssink.spool.RollPeriod;
import io.wssink.spool.SpoolException;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.*;

/** Each open-time check on its own, on the queue of a real spool. */
class SpoolOpenChecksTest {
    static {
        ChronicleSettings.apply();
    }

    @TempDir
    Path tmp;

    /** A spool with {@code events} events, closed; returns its directory. */
    private Path spoolWith(int events) {
        Path dir = tmp.resolve("spool");
        try (Spool spool = Spool.open(SpoolConfig.builder(dir).blockSize(1 << 20).maxSpoolBytes(16 << 20)
                .maxEventBytes(1 << 10).build())) {
            for (int i = 0; i < events; i++) {
                spool.append("event-" + i);
            }
        }
        return dir;
    }

    private static SingleChronicleQueue queueOf(Path dir) {
        return SingleChronicleQueueBuilder.binary(dir.resolve(SpoolDirectory.QUEUE))
                .rollCycle(ChronicleSpool.rollCycle(RollPeriod.HOURLY)).blockSize(1 << 20).build();
    }

    @Test
    void headerAtReadsALittleEndianIntAndZeroPastTheEnd() throws Exception {
        Path file = tmp.resolve("f");
        Files.write(file, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(0).putInt(0x01020304).array());
        assertEquals(0x01020304, SpoolOpenChecks.headerAt(file, 4));
        assertEquals(0, SpoolOpenChecks.headerAt(file, 6), "a short read is no header");
        assertEquals(0, SpoolOpenChecks.headerAt(file, 100));
    }

    @Test
    void anIntactLastFilePassesAndOneCutShortIsRefused() throws Exception {
        Path dir = spoolWith(50);
        try (SingleChronicleQueue queue = queueOf(dir)) {
            assertDoesNotThrow(() -> SpoolOpenChecks.refuseTruncatedLastFile(queue, dir));
        }
        Path file = SpoolRetentionTest.cycleFiles(dir).get(0);
        int at = SpoolDamageTest.indexOf(Files.readAllBytes(file), "event-30".getBytes());
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(at);
        }
        try (SingleChronicleQueue queue = queueOf(dir)) {
            SpoolException e = assertThrows(SpoolException.class, () -> SpoolOpenChecks.refuseTruncatedLastFile(queue, dir));
            assertTrue(e.getMessage().contains("the file was cut short"), e.getMessage());
        }
    }

    @Test
    void metadataOfThisStreamPassesANewOneIsAdoptedAndAForeignOneIsRefused() {
        Path dir = spoolWith(3);
        SpoolDirectory.Marker marker = SpoolDirectory.readMarker(dir);
        UUID mine = UUID.fromString(marker.streamId());
        try (SingleChronicleQueue queue = queueOf(dir); SpoolCounters counters = new SpoolCounters(queue)) {
            counters.streamHigh.setOrderedValue(0);
            counters.streamLow.setOrderedValue(0);
            assertEquals(marker, StreamIdentity.checkMetadataBelongs(queue, counters, dir, marker));
            assertEquals(mine.getMostSignificantBits(), counters.streamHigh.getVolatileValue(),
                    "lost metadata takes this spool's stream id");
            assertEquals(mine.getLeastSignificantBits(), counters.streamLow.getVolatileValue());
            assertDoesNotThrow(() -> StreamIdentity.checkMetadataBelongs(queue, counters, dir, marker));

            UUID other = UUID.randomUUID();
            counters.streamHigh.setOrderedValue(other.getMostSignificantBits());
            counters.streamLow.setOrderedValue(other.getLeastSignificantBits());
            SpoolException e = assertThrows(SpoolException.class,
                    () -> StreamIdentity.checkMetadataBelongs(queue, counters, dir, marker));
            assertTrue(e.getMessage().contains("belongs to another spool (stream " + other + ", not " + mine),
                    e.getMessage());

            SpoolDirectory.Marker forkedFromOther = new SpoolDirectory.Marker(mine.toString(), marker.home(),
                    marker.machine(), other.toString(), "a test");
            assertEquals(forkedFromOther, StreamIdentity.checkMetadataBelongs(queue, counters, dir, forkedFromOther),
                    "the stream it forked from: a fork cut short, finished now");
            assertEquals(mine.getMostSignificantBits(), counters.streamHigh.getVolatileValue());
        }
    }

    @Test
    void aZeroedCursorWithAcknowledgedBytesIsCountedOnceAsDamage() {
        Path dir = spoolWith(3);
        try (SingleChronicleQueue queue = queueOf(dir); SpoolCounters counters = new SpoolCounters(queue)) {
            SpoolDirectory.Marker stream = SpoolDirectory.readMarker(dir);
            counters.ackedBytes.setOrderedValue(100);
            counters.ackCursor.setOrderedValue(Spool.NONE);
            long before = counters.corruptRecords.getVolatileValue();
            StreamIdentity.checkMetadataBelongs(queue, counters, dir, stream);
            StreamIdentity.checkMetadataBelongs(queue, counters, dir, stream);
            assertEquals(before + 1, counters.corruptRecords.getVolatileValue());
            assertEquals(0, counters.ackedBytes.getVolatileValue());
        }
    }

    @Test
    void aRecordedCycleWithoutItsFileIsCountedOnceAndForgotten() {
        Path dir = spoolWith(3);
        try (SingleChronicleQueue queue = queueOf(dir); SpoolCounters counters = new SpoolCounters(queue);
             CycleManifest manifest = new CycleManifest(queue)) {
            CycleFiles files = new CycleFiles(queue);
            int gone = queue.firstCycle() - 5; // an older cycle, recorded as written, whose file is not there
            manifest.written(gone);
            long before = counters.missingFiles.getVolatileValue();
            SpoolOpenChecks.checkCycleFiles(queue, manifest, files, counters, dir);
            assertEquals(before + 1, counters.missingFiles.getVolatileValue());
            assertFalse(manifest.isRecorded(gone), "forgotten, so that it is said once");
            SpoolOpenChecks.checkCycleFiles(queue, manifest, files, counters, dir);
            assertEquals(before + 1, counters.missingFiles.getVolatileValue());
        }
    }
}
