package io.wssink.internal.spool;

import io.wssink.spool.FullPolicy;
import io.wssink.spool.RollPeriod;
import io.wssink.spool.SpoolFullException;
import io.wssink.spool.SpoolStats;
import io.wssink.testing.Spools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/** Each policy when the spool holds maxSpoolBytes. Cycle files take a block each, so a few seconds fill it. */
class SpoolFullTest {
    @TempDir
    Path tmp;

    private SpoolConfig.Builder small(FullPolicy policy) {
        return SpoolConfig.builder(tmp.resolve("spool")).rollPeriod(RollPeriod.TEST_SECONDLY).blockSize(1 << 20)
                .maxSpoolBytes(4 << 20).maxEventBytes(1 << 10).fullPolicy(policy).blockTimeout(Duration.ofMillis(200));
    }

    /** Whether {@code t} waits inside the spool's append for room, as BLOCK makes it. */
    private static boolean waitingForRoom(Thread t) {
        return t.getState() == Thread.State.TIMED_WAITING
                && Arrays.stream(t.getStackTrace()).anyMatch(f -> f.getMethodName().equals("admit"));
    }

    /** Appends until the spool refuses, across cycles; returns how many were accepted. */
    private static int fill(Spool failing) {
        int[] accepted = {0};
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(10)).until(() -> {
            try {
                failing.append("fill-" + accepted[0]);
                accepted[0]++;
                return false;
            } catch (SpoolFullException e) {
                assertTrue(e.getMessage().startsWith("spool full: the spool takes"), e.getMessage());
                return true;
            }
        });
        return accepted[0];
    }

    @Test
    void aSpoolWhoseReceiverKeepsUpIsNeverFullWithTheDefaultHourlyRoll() {
        // maxSpoolBytes bounds what is not yet acknowledged: four times the limit goes through one hourly file while
        // acks follow, under FAIL, which would throw at the first append that found the spool full.
        long max = 4 << 20;
        SpoolConfig config = SpoolConfig.builder(tmp.resolve("spool")).blockSize(1 << 20).maxSpoolBytes(max)
                .maxEventBytes(1 << 10).fullPolicy(FullPolicy.FAIL).build();
        assertEquals(RollPeriod.HOURLY, config.rollPeriod(), "the default roll period");
        byte[] event = new byte[1000];
        long written = 0;
        try (Spool spool = Spool.open(config); SpoolReader reader = spool.openReader()) {
            SpoolRecord r = new SpoolRecord();
            while (written < 4 * max) {
                for (int i = 0; i < 100; i++) {
                    long id = spool.append(event, 0, event.length);
                    assertNotEquals(Spool.DROPPED, id);
                    written += event.length;
                }
                long last = Spool.NONE;
                while (reader.next(r)) {
                    last = r.id();
                }
                reader.ack(last); // the receiver keeps up
            }
            SpoolStats stats = spool.stats();
            assertEquals(0, stats.backlogEvents());
            assertTrue(stats.appendedBytes() > 4 * max, "more than the limit went through: " + stats.appendedBytes());
        }
    }

    @Test
    void acknowledgedFilesLeaveTheCountAtOnceBeforeRetentionDeletesThem() {
        try (Spool failing = Spool.open(small(FullPolicy.FAIL).build())) {
            fill(failing);
            try (SpoolReader reader = failing.openReader()) {
                List<Spools.Event> all = Spools.readAll(reader);
                reader.ack(all.get(all.size() - 1).id()); // no retain(): the files are all still there
                long id = await().atMost(Duration.ofSeconds(5)).ignoreExceptionsInstanceOf(SpoolFullException.class)
                        .until(() -> failing.append("after-the-ack"), v -> v > 0);
                assertTrue(id > all.get(all.size() - 1).id(), "room again as soon as the receiver acknowledged");
            }
        }
    }

    @Test
    void failThrowsAtOnceAndDropNewestCountsWhatItDiscards() {
        try (Spool failing = Spool.open(small(FullPolicy.FAIL).build());
             Spool dropping = Spool.open(small(FullPolicy.DROP_NEWEST).build())) {
            int accepted = fill(failing);
            assertTrue(accepted > 0);
            assertEquals(Spool.DROPPED, dropping.append("dropped-1"));
            assertEquals(Spool.DROPPED, dropping.append(new byte[10], 0, 10));
            assertEquals(2, dropping.stats().droppedEvents());
            assertEquals(accepted, Spools.readAll(failing).size(), "nothing dropped was written");
        }
    }

    @Test
    void blockWaitsForAcknowledgementsToFreeSpaceAndTimesOutClearly() throws Exception {
        try (Spool failing = Spool.open(small(FullPolicy.FAIL).build());
             Spool timingOut = Spool.open(small(FullPolicy.BLOCK).build());
             Spool blocking = Spool.open(small(FullPolicy.BLOCK).blockTimeout(Duration.ofSeconds(60)).build())) {
            fill(failing);
            SpoolFullException e = assertThrows(SpoolFullException.class, () -> timingOut.append("late"));
            assertTrue(e.getMessage().startsWith("spool full for PT0.2S"), e.getMessage());

            CompletableFuture<Long> blocked = new CompletableFuture<>();
            Thread appending = new Thread(() -> {
                try {
                    blocked.complete(blocking.append("waited"));
                } catch (RuntimeException failed) {
                    blocked.completeExceptionally(failed);
                }
            }, "blocked-append");
            appending.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> waitingForRoom(appending) || blocked.isDone());
            assertFalse(blocked.isDone(), "the append waits for room");
            SpoolStats during = assertTimeoutPreemptively(Duration.ofSeconds(10), blocking::stats,
                    "a blocked append does not hold up stats");
            assertEquals(0, during.droppedEvents());
            try (SpoolReader reader = failing.openReader()) {
                List<Spools.Event> all = Spools.readAll(reader);
                reader.ack(all.get(all.size() - 1).id());
                assertTrue(reader.retain() > 0);
            }
            long id = await().atMost(Duration.ofSeconds(30)).until(() -> blocked.getNow(null), v -> v != null);
            assertTrue(id > 0, "the blocked append went through once acks freed files");
        }
    }
}
