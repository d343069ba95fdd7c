package io.wssink.spool;

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
        String mine = UUID.randomUUID().toString();
        try (SingleChronicleQueue queue = queueOf(dir); SpoolCounters counters = new SpoolCounters(queue)) {
            counters.streamHigh.setOrderedValue(0);
            counters.streamLow.setOrderedValue(0);
            SpoolOpenChecks.checkMetadataBelongs(queue, counters, dir, mine);
            assertEquals(UUID.fromString(mine).getMostSignificantBits(), counters.streamHigh.getVolatileValue(),
                    "lost metadata takes this spool's stream id");
            assertDoesNotThrow(() -> SpoolOpenChecks.checkMetadataBelongs(queue, counters, dir, mine));
            String other = UUID.randomUUID().toString();
            SpoolException e = assertThrows(SpoolException.class,
                    () -> SpoolOpenChecks.checkMetadataBelongs(queue, counters, dir, other));
            assertTrue(e.getMessage().contains("belongs to another spool (stream " + mine + ", not " + other),
                    e.getMessage());
        }
    }

    @Test
    void aZeroedCursorWithAcknowledgedBytesIsCountedOnceAsDamage() {
        Path dir = spoolWith(3);
        try (SingleChronicleQueue queue = queueOf(dir); SpoolCounters counters = new SpoolCounters(queue)) {
            String stream = new UUID(counters.streamHigh.getVolatileValue(), counters.streamLow.getVolatileValue())
                    .toString();
            counters.ackedBytes.setOrderedValue(100);
            counters.ackCursor.setOrderedValue(Spool.NONE);
            long before = counters.corruptRecords.getVolatileValue();
            SpoolOpenChecks.checkMetadataBelongs(queue, counters, dir, stream);
            SpoolOpenChecks.checkMetadataBelongs(queue, counters, dir, stream);
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
