package io.wssink.internal.spool;

import io.wssink.spool.RollPeriod;
import io.wssink.spool.SpoolStats;
import io.wssink.testing.Spools.Event;
import io.wssink.testing.Spools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

class SpoolBasicsTest {
    @TempDir
    Path tmp;

    private SpoolConfig.Builder config() {
        return SpoolConfig.builder(tmp.resolve("spool")).blockSize(1 << 20).maxSpoolBytes(64L << 20).maxEventBytes(1 << 16);
    }

    @Test
    void appendedEventsAreReadBackInOrderWithTheirKindAndExactBytes() {
        try (Spool spool = Spool.open(config().build())) {
            long a = spool.append("héllo \uD83D\uDE00");
            long b = spool.append(new byte[] {0, 1, 2, (byte) 255}, 0, 4);
            long c = spool.append(ByteBuffer.allocateDirect(3).put(new byte[] {7, 8, 9}).flip());
            assertTrue(a < b && b < c, "ids strictly increase");
            try (SpoolReader reader = spool.openReader()) {
                SpoolRecord r = new SpoolRecord();
                assertTrue(reader.next(r));
                assertEquals(a, r.id());
                assertEquals(EventKind.TEXT, r.kind());
                assertArrayEquals("héllo \uD83D\uDE00".getBytes(StandardCharsets.UTF_8), r.payloadCopy());
                assertTrue(reader.next(r));
                assertEquals(EventKind.BINARY, r.kind());
                assertArrayEquals(new byte[] {0, 1, 2, (byte) 255}, r.payloadCopy());
                assertTrue(reader.next(r));
                assertEquals(c, r.id());
                assertArrayEquals(new byte[] {7, 8, 9}, r.payloadCopy());
                assertFalse(reader.next(r));
            }
        }
    }

    /**
     * The forwarder's idle check: whether anything was appended after what was read, without reading it (it used
     * {@code lastAppendedId() > lastReadId()}, a Chronicle tailer made and released per call). Also across a
     * rewind, and through a cycle roll.
     */
    @Test
    void hasNextSaysWhetherARecordWaitsWithoutReadingIt() {
        try (Spool spool = Spool.open(config().rollPeriod(RollPeriod.TEST_SECONDLY).build());
             SpoolReader reader = spool.openReader()) {
            SpoolRecord r = new SpoolRecord();
            assertFalse(reader.hasNext(), "an empty spool");
            long a = spool.append("a");
            assertTrue(reader.hasNext());
            assertTrue(reader.hasNext(), "asking twice reads nothing");
            assertEquals(Spool.NONE, reader.lastReadId(), "nothing read yet");
            assertTrue(reader.next(r));
            assertEquals(a, r.id(), "the record hasNext saw is the one next returns");
            assertFalse(reader.hasNext(), "read to the end");
            long b = spool.append("b");
            long c = spool.append("c");
            assertTrue(reader.hasNext());
            assertTrue(reader.next(r));
            assertEquals(b, r.id(), "none skipped");
            reader.rewind(); // nothing acked: a, b and c are to be read again
            assertTrue(reader.hasNext());
            assertTrue(reader.next(r));
            assertEquals(a, r.id());
            assertTrue(reader.next(r));
            assertTrue(reader.next(r));
            assertEquals(c, r.id());
            assertFalse(reader.hasNext());
            // into the next cycle: the tailer stands at the end of the old file, the record is in a new one
            int cycle = SpoolRetentionTest.cycleOf(c);
            AtomicLong d = new AtomicLong();
            await("a record appended in the next cycle").atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(50)).until(() -> {
                        d.set(spool.append("d"));
                        return SpoolRetentionTest.cycleOf(d.get()) != cycle;
                    });
            assertTrue(reader.hasNext(), "a record in a later cycle");
            while (reader.next(r)) {
                assertEquals("d", new String(r.payloadCopy(), StandardCharsets.UTF_8));
            }
            assertEquals(d.get(), r.id());
            assertFalse(reader.hasNext());
        }
    }

    @Test
    void eachRecordCarriesItsAppendTimeAndLiesInTheCycleOfThatTime() {
        // The record's timestamp and Chronicle's choice of cycle come from one clock reading, so they agree even at
        // the instant a cycle ends; with a clock read each, a record could carry 12:00:00.000 yet lie in 11:59:59.
        var roll = ChronicleSpool.rollCycle(RollPeriod.TEST_SECONDLY);
        try (Spool spool = Spool.open(config().rollPeriod(RollPeriod.TEST_SECONDLY).build());
             SpoolReader reader = spool.openReader()) {
            long start = System.currentTimeMillis();
            long firstCycle = roll.toCycle(spool.append("first"));
            long last;
            do {
                last = spool.append(new byte[100], 0, 100);
                LockSupport.parkNanos(20_000); // a pace, not a wait: some MB, not GB
            } while (roll.toCycle(last) < firstCycle + 3);
            long end = System.currentTimeMillis();
            SpoolRecord r = new SpoolRecord();
            int checked = 0;
            while (reader.next(r)) {
                assertTrue(r.timestampMillis() >= start && r.timestampMillis() <= end, "the time it was appended");
                assertEquals(roll.toCycle(r.id()), r.timestampMillis() / roll.lengthInMillis(),
                        "record " + r.id() + " at " + r.timestampMillis() + " lies in the cycle of its time");
                checked++;
            }
            assertTrue(checked > 3);
        }
    }

    @Test
    void aReopenedReaderResumesRightAfterTheCursorAndRewindReturnsTheInFlightTail() {
        long[] ids = new long[10];
        try (Spool spool = Spool.open(config().build())) {
            for (int i = 0; i < ids.length; i++) {
                ids[i] = spool.append("e" + i);
            }
            try (SpoolReader reader = spool.openReader()) {
                assertEquals(10, Spools.readAll(reader).size());
                assertEquals(4, reader.ack(ids[3]));
                assertEquals(0, reader.ack(ids[1]), "a lower ack is ignored");
                reader.rewind();
                assertEquals(List.of("e4", "e5", "e6", "e7", "e8", "e9"), texts(Spools.readAll(reader)));
                assertThrows(IllegalArgumentException.class, () -> reader.ack(ids[9] + 1));
            }
        }
        try (Spool spool = Spool.open(config().build())) {
            assertEquals(ids[3], spool.ackedId());
            assertEquals(List.of("e4", "e5", "e6", "e7", "e8", "e9"), texts(Spools.readAll(spool)));
            SpoolStats stats = spool.stats();
            assertEquals(6, stats.backlogEvents());
            assertEquals(10, stats.appendedEvents());
            assertEquals(6 * (RecordCodec.HEADER_BYTES + 2), stats.backlogBytes());
        }
    }

    @Test
    void theStreamIdIsMadeOnceAndKept() {
        String id;
        try (Spool spool = Spool.open(config().build())) {
            id = spool.streamId();
            assertDoesNotThrow(() -> UUID.fromString(id));
        }
        try (Spool spool = Spool.open(config().build())) {
            assertEquals(id, spool.streamId());
        }
        try (Spool other = Spool.open(SpoolConfig.builder(tmp.resolve("other")).blockSize(1 << 20)
                .maxSpoolBytes(16L << 20).maxEventBytes(1 << 10).build())) {
            assertNotEquals(id, other.streamId(), "a new spool is a new stream");
        }
    }

    @Test
    void spoolFilesArePrivate() throws Exception {
        try (Spool spool = Spool.open(config().build())) {
            spool.append("secret");
            try (Stream<Path> files = Files.walk(spool.directory())) {
                for (Path p : files.toList()) {
                    String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
                    assertEquals(Files.isDirectory(p) ? "rwx------" : "rw-------", mode, p.toString());
                }
            }
        }
    }

    @Test
    void anEmptyDirectoryMadeBeforeBecomesPrivateWhenItBecomesASpool() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("made-by-mkdir"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x")); // whatever the umask
        try (Spool spool = Spool.open(SpoolConfig.builder(dir).blockSize(1 << 20).maxSpoolBytes(16L << 20).build())) {
            spool.append("secret");
        }
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
    }

    @Test
    void aLargeDirectBufferIsAppendedWholeAndItsPositionIsLeftAlone() {
        byte[] data = new byte[60_000];
        new Random(7).nextBytes(data);
        ByteBuffer direct = ByteBuffer.allocateDirect(data.length + 10).put(new byte[10]).put(data).flip().position(10);
        try (Spool spool = Spool.open(config().build())) {
            spool.append(direct);
            assertEquals(10, direct.position());
            try (SpoolReader reader = spool.openReader()) {
                SpoolRecord r = new SpoolRecord();
                assertTrue(reader.next(r));
                assertArrayEquals(data, r.payloadCopy());
            }
        }
    }

    @Test
    void eventsOfEverySizeAroundTheCopyLimitReadBackIntactFromEveryKindOfSource() {
        // Small payloads are copied behind the header, larger ones written after it: both must frame and check alike.
        int limit = RecordCodec.COPY_LIMIT;
        int[] sizes = {0, 1, limit - 1, limit, limit + 1, 4000};
        Random random = new Random(11);
        List<byte[]> written = new ArrayList<>();
        try (Spool spool = Spool.open(config().build())) {
            for (int size : sizes) {
                byte[] data = new byte[size];
                random.nextBytes(data);
                byte[] padded = new byte[size + 3];
                System.arraycopy(data, 0, padded, 2, size);
                spool.append(padded, 2, size);
                spool.append(ByteBuffer.allocateDirect(size + 5).position(5).put(data).flip().position(5));
                String text = "é".repeat(size / 2);
                spool.append(text);
                written.add(data);
                written.add(data);
                written.add(text.getBytes(StandardCharsets.UTF_8));
            }
            try (SpoolReader reader = spool.openReader()) {
                SpoolRecord r = new SpoolRecord();
                for (byte[] expected : written) {
                    assertTrue(reader.next(r));
                    assertArrayEquals(expected, r.payloadCopy(), "record " + r.id() + " of " + expected.length + " bytes");
                }
                assertFalse(reader.next(r));
            }
            assertEquals(0, spool.stats().corruptRecords(), "every record passes its CRC");
        }
    }

    @Test
    void aClosedSpoolLeavesNoFileOfItsOwnMapped() throws Exception {
        // A process that opens spools now and then (status, a soak reading the backlog) must not keep them mapped:
        // that leaks memory and file handles, and keeps a file system holding a spool busy.
        Path dir = tmp.resolve("spool");
        try (Spool spool = Spool.open(config().build())) {
            long id = spool.append("event");
            assertEquals(1, spool.stats().backlogEvents());
            try (SpoolReader reader = spool.openReader()) {
                assertEquals(1, Spools.readAll(reader).size());
                reader.ack(id);
            }
            assertEquals(0, spool.stats().backlogEvents());
        }
        try (Spool reopened = Spool.open(config().build())) { // with files to check on open
            reopened.append("another");
            assertEquals(1, reopened.stats().backlogEvents());
        }
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)) // Chronicle unmaps in the background
                .untilAsserted(() -> assertEquals(List.of(), mappedUnder(dir)));
    }

    private static List<String> mappedUnder(Path dir) throws IOException {
        try (Stream<String> maps = Files.lines(Path.of("/proc/self/maps"))) {
            return maps.filter(line -> line.contains(dir.toString())).toList();
        }
    }

    @Test
    void anOversizedEventIsRefusedClearlyAndNothingIsWritten() {
        try (Spool spool = Spool.open(config().maxEventBytes(1000).build())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> spool.append(new byte[1001], 0, 1001));
            assertTrue(e.getMessage().contains("exceeds maxEventBytes 1000"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> spool.append("é".repeat(501)));
            assertEquals(0, spool.stats().appendedEvents());
        }
    }

    private static List<String> texts(List<Event> events) {
        return events.stream().map(Event::text).toList();
    }
}
