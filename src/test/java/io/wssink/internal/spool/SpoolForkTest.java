package io.wssink.internal.spool;

import io.wssink.spool.SpoolStats;
import io.wssink.testing.CapturedStderr;
import io.wssink.testing.ChildJvm;
import io.wssink.testing.Spools.Event;
import io.wssink.testing.Spools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A spool takes a new stream id whenever its old one would make receivers drop new events as duplicates: when it was
 * copied, and when its ack cursor is past its data (a power cut). Spec section 1: two spools never send different
 * events under one stream id.
 */
class SpoolForkTest {
    @TempDir
    Path tmp;

    private static SpoolConfig config(Path dir) {
        // the default (hourly) roll period: everything here lands in one cycle file, as it would in production
        return SpoolConfig.builder(dir).blockSize(1 << 20).maxSpoolBytes(64 << 20).maxEventBytes(1 << 10).build();
    }

    /** Appends {@code n} events and acks the first {@code acked}; returns their ids. */
    private static List<Long> appendAndAck(Path dir, int n, int acked) {
        List<Long> ids = new ArrayList<>();
        try (Spool spool = Spool.open(config(dir)); SpoolReader reader = spool.openReader()) {
            for (int i = 0; i < n; i++) {
                ids.add(spool.append("event-" + i));
            }
            Spools.readAll(reader);
            if (acked > 0) {
                reader.ack(ids.get(acked - 1));
            }
        }
        return ids;
    }

    private static Properties marker(Path dir) throws Exception {
        Properties p = new Properties();
        try (var r = Files.newBufferedReader(dir.resolve("wssink-spool.properties"))) {
            p.load(r);
        }
        return p;
    }

    @Test
    void aSpoolCopiedWithCpTakesANewStreamIdOnceAndTheOriginalKeepsItsOwn() throws Exception {
        Path original = tmp.resolve("original");
        List<Long> ids = appendAndAck(original, 10, 4);
        String stream;
        try (Spool spool = Spool.open(config(original))) {
            stream = spool.streamId();
        }
        Path copy = tmp.resolve("copy");
        Process cp = new ProcessBuilder("cp", "-a", original.toString(), copy.toString()).inheritIO().start();
        assertEquals(0, cp.waitFor());

        String logs;
        String forked;
        try (CapturedStderr err = new CapturedStderr(); Spool spool = Spool.open(config(copy))) {
            forked = spool.streamId();
            assertNotEquals(stream, forked, "the copy sends under a stream of its own");
            SpoolStats stats = spool.stats();
            assertEquals(1, stats.streamForks());
            assertEquals(stream, stats.forkedFrom());
            assertTrue(stats.forkReason().startsWith("it was copied: it was made in the directory at device:inode"),
                    stats.forkReason());
            assertEquals(ids.get(3), spool.ackedId(), "the cursor is kept: what was acked stays acked");
            assertEquals(ids.subList(4, 10), Spools.readAll(spool).stream().map(Event::id).toList(),
                    "the unacknowledged tail is sent under the new stream: duplicates perhaps, never a loss");
            logs = err.text();
        }
        assertTrue(logs.contains("took a new stream id " + forked + " (was " + stream + ") because it was copied"),
                logs);
        assertEquals(forked, marker(copy).getProperty("streamId"), "the marker says so, for the next open");
        try (Spool spool = Spool.open(config(copy))) {
            assertEquals(forked, spool.streamId(), "once: the copy is where it is now");
            assertEquals(1, spool.stats().streamForks());
        }
        try (Spool spool = Spool.open(config(original))) {
            assertEquals(stream, spool.streamId(), "the original keeps its stream");
            assertEquals(0, spool.stats().streamForks());
            assertEquals("", spool.stats().forkReason());
        }
        Path renamed = tmp.resolve("renamed");
        Files.move(copy, renamed, StandardCopyOption.ATOMIC_MOVE);
        try (Spool spool = Spool.open(config(renamed))) {
            assertEquals(forked, spool.streamId(), "a rename within the file system is no copy");
        }
    }

    @Test
    void processesOpeningACopyAtOnceForkItOnce() throws Exception {
        Path original = tmp.resolve("original");
        appendAndAck(original, 3, 1);
        Path copy = tmp.resolve("copy");
        assertEquals(0, new ProcessBuilder("cp", "-a", original.toString(), copy.toString()).start().waitFor());
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Spool>> opening = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                opening.add(pool.submit((Callable<Spool>) () -> Spool.open(config(copy))));
            }
            List<Spool> spools = new ArrayList<>();
            for (Future<Spool> f : opening) {
                spools.add(f.get());
            }
            try {
                for (Spool s : spools) {
                    assertEquals(spools.get(0).streamId(), s.streamId(), "one new stream id for all");
                }
                assertEquals(1, spools.get(0).stats().streamForks());
            } finally {
                spools.forEach(Spool::close);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aCursorPastTheDataAfterAPowerCutForksTheStreamAndNewEventsAreSentNotSkipped() throws Exception {
        // With PROCESS or syncInterval durability the cursor (in metadata.cq4t) can reach the disk while the last
        // events (in the cycle file) do not. Here the cycle file goes back to what it held before the last 40 events
        // and their ack: what the disk holds after such a power cut.
        Path dir = tmp.resolve("spool");
        appendAndAck(dir, 60, 60);
        Path cycleFile = SpoolRetentionTest.cycleFiles(dir).get(0);
        Path synced = Files.copy(cycleFile, tmp.resolve("synced.cq4"));
        String stream;
        long cursor;
        try (Spool spool = Spool.open(config(dir)); SpoolReader reader = spool.openReader()) {
            stream = spool.streamId();
            long last = Spool.NONE;
            for (int i = 0; i < 40; i++) {
                last = spool.append("lost-" + i);
            }
            Spools.readAll(reader);
            reader.ack(last);
            cursor = last;
        }
        Files.copy(synced, cycleFile, StandardCopyOption.REPLACE_EXISTING);

        String logs;
        try (CapturedStderr err = new CapturedStderr(); Spool spool = Spool.open(config(dir))) {
            long lastKept = spool.stats().lastId();
            assertTrue(Long.compareUnsigned(lastKept, cursor) < 0, "the data now ends below the cursor");
            assertNotEquals(stream, spool.streamId(), "a new stream: ids below the old cursor may be given again");
            assertEquals(lastKept, spool.ackedId(), "the cursor is brought back to the last record there");
            assertEquals(1, spool.stats().streamForks());
            assertTrue(spool.stats().forkReason().startsWith("its ack cursor " + cursor + " is past its last record "
                    + lastKept), spool.stats().forkReason());
            long next = spool.append("after-the-power-cut");
            assertTrue(Long.compareUnsigned(next, cursor) <= 0, "Chronicle numbers on from the data: an id the"
                    + " receivers of the old stream already hold, " + next);
            assertEquals(List.of(new Event(next, "after-the-power-cut")), Spools.readAll(spool),
                    "and the new event is read, not stepped over as acknowledged");
            logs = err.text();
        }
        assertTrue(logs.contains("because its ack cursor " + cursor + " is past its last record"), logs);
        try (Spool spool = Spool.open(config(dir))) {
            assertEquals(1, spool.stats().streamForks(), "once");
        }
    }

    @Test
    void aMachineThatWentDownWithTheSpoolOpenForksEvenWithTheCursorBelowTheData() throws Exception {
        // The common power cut: the cursor's page is lost too, so it is below the data, and nothing on disk says
        // that a receiver took events the disk no longer holds; only the open mark of the earlier boot does.
        Path dir = tmp.resolve("spool");
        try {
            System.setProperty("wssink.bootId", "boot-1");
            appendAndAck(dir, 60, 20);
            Path cycleFile = SpoolRetentionTest.cycleFiles(dir).get(0);
            Path synced = Files.copy(cycleFile, tmp.resolve("synced.cq4"));
            String stream = marker(dir).getProperty("streamId");
            try (ChildJvm child = ChildJvm.start(AppendingChild.class, tmp.resolve("child.err"), dir.toString(),
                    "sent-then-lost", "1000000")) {
                await().atMost(Duration.ofSeconds(60)).until(() -> child.lineCount() > 100 || !child.isAlive());
                child.kill(); // the machine goes down: nothing closes, and the page cache is lost ...
            }
            Files.copy(synced, cycleFile, StandardCopyOption.REPLACE_EXISTING); // ... with the events after it
            System.setProperty("wssink.bootId", "boot-2");
            try (Spool spool = Spool.open(config(dir))) {
                assertTrue(Long.compareUnsigned(spool.ackedId(), spool.stats().lastId()) < 0, "cursor below data");
                assertNotEquals(stream, spool.streamId(), "new events would take ids a receiver may hold");
                assertTrue(spool.stats().forkReason().startsWith("the machine went down while a process had the"
                        + " spool open"), spool.stats().forkReason());
            }
            try (Spool spool = Spool.open(config(dir))) {
                assertEquals(1, spool.stats().streamForks(), "once: the mark of the earlier boot is gone");
            }
        } finally {
            System.clearProperty("wssink.bootId");
        }
    }

    @Test
    void aSpoolClosedBeforeARestartKeepsItsStream() {
        Path dir = tmp.resolve("spool");
        try {
            System.setProperty("wssink.bootId", "boot-1");
            String stream;
            try (Spool spool = Spool.open(config(dir))) {
                stream = spool.streamId();
                spool.append("before");
            }
            System.setProperty("wssink.bootId", "boot-2");
            try (Spool spool = Spool.open(config(dir))) {
                assertEquals(stream, spool.streamId());
                assertEquals(0, spool.stats().streamForks());
            }
        } finally {
            System.clearProperty("wssink.bootId");
        }
    }

    @Test
    void aCursorPastTheDataWhileASenderRunsIsARaceWithItsAcksNotALoss() {
        // A producer or status opening the spool while the sender acks an event in a file begun a moment ago must not
        // take that for lost data: the sender opened the spool after any power cut, and forked it then.
        Path dir = tmp.resolve("spool");
        List<Long> ids = appendAndAck(dir, 3, 3);
        try (Spool sender = Spool.open(config(dir)); SpoolReader reader = sender.openReader()) {
            ((ChronicleSpool) sender).counters().ackCursor.setOrderedValue(ids.get(2) + 1); // as if just acked
            try (Spool other = Spool.open(config(dir))) {
                assertEquals(sender.streamId(), other.streamId());
                assertEquals(0, other.stats().streamForks());
                assertEquals(ids.get(2) + 1, other.ackedId(), "and the cursor is left alone");
            }
        }
    }

    @Test
    void aCrashBetweenWritingTheForkedMarkerAndTheMetadataIsFinishedOnTheNextOpen() throws Exception {
        Path dir = tmp.resolve("spool");
        appendAndAck(dir, 5, 2);
        Properties before = marker(dir);
        String old = before.getProperty("streamId");
        String forked = UUID.randomUUID().toString();
        SpoolDirectory.writeMarker(dir, new SpoolDirectory.Marker(forked, before.getProperty("home"),
                before.getProperty("machine"), old, "a test"));
        try (Spool spool = Spool.open(config(dir))) {
            assertEquals(forked, spool.streamId(), "the metadata of the stream it forked from is its own");
        }
        try (Spool spool = Spool.open(config(dir))) {
            assertEquals(forked, spool.streamId());
        }
    }

    @Test
    void aMarkerFromBeforeMarkersSaidWhereTheyWereMadeLearnsItWithoutAFork() throws Exception {
        Path dir = tmp.resolve("spool");
        appendAndAck(dir, 1, 1);
        String stream = marker(dir).getProperty("streamId");
        Files.writeString(dir.resolve("wssink-spool.properties"), "format=wssink-spool-1\nstreamId=" + stream + "\n");
        try (Spool spool = Spool.open(config(dir))) {
            assertEquals(stream, spool.streamId());
            assertEquals(0, spool.stats().streamForks());
        }
        assertEquals(SpoolDirectory.home(dir), marker(dir).getProperty("home"));
    }
}
