package io.wssink.internal.spool;

import io.wssink.spool.DroppedEventException;
import io.wssink.spool.ExpiredEventException;
import io.wssink.spool.FullPolicy;
import io.wssink.spool.RollPeriod;
import io.wssink.spool.SpoolStats;
import io.wssink.testing.Spools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/** Freshness for live views: maxEventAge skips what is too old to show, DROP_OLDEST gives room to the newest. */
class SpoolFreshnessTest {
    private static final Duration AGE = Duration.ofMillis(300);

    @TempDir
    Path tmp;

    private SpoolConfig.Builder aging() {
        return SpoolConfig.builder(tmp.resolve("spool")).maxEventAge(AGE);
    }

    /** Waits, by the clock the spool stamps events with, until events appended before now are older than AGE. */
    private static void letAge() {
        long until = System.currentTimeMillis() + AGE.toMillis() + 50;
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> System.currentTimeMillis() > until);
    }

    @Test
    void eventsOlderThanMaxEventAgeAreSkippedCountedOnceAndNeverRead() {
        try (Spool spool = Spool.open(aging().build())) {
            List<Long> old = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                old.add(spool.append("old-" + i));
            }
            letAge();
            long fresh1 = spool.append("fresh-1");
            long fresh2 = spool.append("fresh-2");
            try (SpoolReader reader = spool.openReader()) {
                List<Spools.Event> read = Spools.readAll(reader);
                assertEquals(List.of(new Spools.Event(fresh1, "fresh-1"), new Spools.Event(fresh2, "fresh-2")), read);
                assertEquals(5, spool.stats().expiredEvents());
                assertEquals(old.get(4), reader.ackedId(), "nothing was in flight: the cursor moved over them at once");
                reader.rewind();
                assertEquals(2, Spools.readAll(reader).size());
                assertEquals(5, spool.stats().expiredEvents(), "read again, not counted again");
                assertEquals(2, reader.ack(fresh2));
            }
            assertEquals(0, spool.stats().backlogEvents());
            for (long id : old) {
                ExpiredEventException e = assertThrows(ExpiredEventException.class,
                        () -> spool.checkWillBeDelivered(id));
                assertEquals(id, e.id());
                assertTrue(e.getMessage().contains("older than maxEventAge PT0.3S"), e.getMessage());
            }
            spool.checkWillBeDelivered(fresh1); // no exception
        }
        try (Spool reopened = Spool.open(aging().build())) {
            assertEquals(5, reopened.stats().expiredEvents(), "the count is kept in the spool");
        }
    }

    @Test
    void theGapBeforeTheFirstRecordAfterSkippedOnesIsKnownAgainAfterARestartUntilARecordAfterItIsAcked() {
        long fresh;
        try (Spool spool = Spool.open(aging().build())) {
            long delivered = spool.append("delivered");
            try (SpoolReader reader = spool.openReader()) {
                SpoolRecord r = new SpoolRecord();
                assertTrue(reader.next(r));
                assertFalse(reader.gapBefore(), "nothing skipped before the first record");
                assertEquals(1, reader.ack(delivered));
                for (int i = 0; i < 3; i++) {
                    spool.append("old-" + i);
                }
                letAge();
                fresh = spool.append("fresh");
                assertTrue(reader.next(r));
                assertEquals(fresh, r.id());
                assertTrue(reader.gapBefore(), "three expired between");
                assertEquals(delivered, reader.gapAfter());
                assertEquals(delivered, reader.deliveredId());
                assertTrue(Long.compareUnsigned(reader.ackedId(), delivered) > 0, "the cursor moved over them");
            }
            // the connection broke before "fresh" was acked, and the sink restarts: the gap is known again
            try (SpoolReader reader = spool.openReader()) {
                SpoolRecord r = new SpoolRecord();
                assertTrue(reader.next(r));
                assertEquals(fresh, r.id());
                assertTrue(reader.gapBefore(), "the cursor is past the last delivered record");
                assertEquals(delivered, reader.gapAfter());
                assertEquals(1, reader.ack(fresh));
            }
        }
        try (Spool reopened = Spool.open(aging().build()); SpoolReader reader = reopened.openReader()) {
            long next = reopened.append("next");
            SpoolRecord r = new SpoolRecord();
            assertTrue(reader.next(r));
            assertEquals(next, r.id());
            assertFalse(reader.gapBefore(), "the record after the gap was acked: nothing skipped since");
            assertEquals(fresh, reader.deliveredId());
        }
    }

    @Test
    void anExpiredEventBehindOneInFlightIsCoveredByThatOnesAck() {
        try (Spool spool = Spool.open(aging().build())) {
            long first = spool.append("first");
            long second = spool.append("second");
            try (SpoolReader reader = spool.openReader()) {
                SpoolRecord r = new SpoolRecord();
                assertTrue(reader.next(r));
                assertEquals(first, r.id(), "read while fresh, in flight");
                letAge();
                assertFalse(reader.next(r), "the second is too old by now: skipped");
                assertEquals(Spool.NONE, reader.ackedId(), "the first is not acknowledged yet");
                assertEquals(1, reader.ack(first));
                assertEquals(second, reader.ackedId(), "the ack of the first moved the cursor over the expired one");
                assertEquals(1, spool.stats().expiredEvents());
                assertEquals(0, spool.stats().backlogEvents());
            }
            assertThrows(ExpiredEventException.class, () -> spool.checkWillBeDelivered(second));
        }
    }

    @Test
    void withoutMaxEventAgeOldEventsAreSent() {
        try (Spool spool = Spool.open(SpoolConfig.builder(tmp.resolve("spool")).build())) {
            assertNull(SpoolConfig.builder(tmp).build().maxEventAge(), "off by default");
            spool.append("old");
            letAge();
            assertEquals(1, Spools.readAll(spool).size());
            assertEquals(0, spool.stats().expiredEvents());
        }
        assertThrows(IllegalArgumentException.class,
                () -> SpoolConfig.builder(tmp).maxEventAge(Duration.ZERO).build());
    }

    // --- DROP_OLDEST

    private SpoolConfig.Builder small(FullPolicy policy) {
        return SpoolConfig.builder(tmp.resolve("spool")).rollPeriod(RollPeriod.TEST_SECONDLY).blockSize(1 << 20)
                .maxSpoolBytes(4 << 20).maxEventBytes(1 << 10).fullPolicy(policy);
    }

    /** Appends 1000-byte events, across seconds (one cycle file each), until an append made DROP_OLDEST drop; their ids. */
    private static List<Long> appendUntilDropped(Spool spool) {
        List<Long> ids = new ArrayList<>();
        byte[] event = new byte[1000];
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(10)).until(() -> {
            for (int i = 0; i < 50; i++) {
                long id = spool.append(event, 0, event.length);
                assertNotEquals(Spool.DROPPED, id, "DROP_OLDEST keeps the new event while there is an old one");
                ids.add(id);
                if (spool.stats().droppedOldestEvents() > 0) {
                    return true; // stops at the append that dropped: one drop
                }
            }
            return false;
        });
        return ids;
    }

    @Test
    void dropOldestDiscardsTheOldestFileCountsItsRangeAndReadingGoesOnAfterIt() {
        try (Spool spool = Spool.open(small(FullPolicy.DROP_OLDEST).build())) {
            List<Long> ids = appendUntilDropped(spool);
            SpoolStats stats = spool.stats();
            long last = stats.droppedOldestLastId();
            assertEquals(ids.get(0), stats.droppedOldestFirstId(), "the first drop starts at the oldest event");
            List<Long> dropped = ids.stream().filter(id -> Long.compareUnsigned(id, last) <= 0).toList();
            List<Long> kept = ids.stream().filter(id -> Long.compareUnsigned(id, last) > 0).toList();
            assertFalse(kept.isEmpty());
            assertEquals(dropped.size(), stats.droppedOldestEvents(), "every dropped event counted, once");
            assertEquals(0, stats.droppedEvents(), "no new event was discarded");
            assertEquals(kept.size(), stats.backlogEvents(), "the dropped ones left the backlog");
            DroppedEventException e = assertThrows(DroppedEventException.class,
                    () -> spool.checkWillBeDelivered(ids.get(0)));
            assertEquals(ids.get(0), e.id());
            assertTrue(e.getMessage().contains("DROP_OLDEST"), e.getMessage());
            try (SpoolReader reader = spool.openReader()) {
                assertEquals(last, reader.ackedId(), "the reader moved the cursor over the dropped range");
                List<Long> read = Spools.readAll(reader).stream().map(Spools.Event::id).toList();
                assertEquals(kept, read, "everything after the dropped range, and nothing else is missing");
            }
        }
    }

    @Test
    void aDropWhileEventsAreInFlightForgetsThemAndReadingSkipsTheRest() {
        try (Spool spool = Spool.open(small(FullPolicy.DROP_OLDEST).build());
             SpoolReader reader = spool.openReader()) {
            long first = spool.append("first");
            SpoolRecord r = new SpoolRecord();
            assertTrue(reader.next(r));
            assertEquals(first, r.id());
            assertTrue(reader.inFlightBytes() > 0);
            List<Long> ids = appendUntilDropped(spool);
            long last = spool.stats().droppedOldestLastId();
            assertEquals(first, spool.stats().droppedOldestFirstId());
            assertTrue(reader.next(r), "reading goes on");
            assertTrue(Long.compareUnsigned(r.id(), last) > 0, "after the dropped range");
            assertEquals(ids.stream().filter(id -> Long.compareUnsigned(id, last) > 0).findFirst().orElseThrow(),
                    r.id(), "at the first event kept");
            assertEquals(last, reader.ackedId());
            assertEquals(0, reader.ack(first), "a late ack of a dropped event changes nothing");
            assertEquals(1, reader.ack(r.id()));
            assertEquals(0, reader.inFlightBytes(), "the dropped event in flight was forgotten");
        }
    }

    @Test
    void dropOldestTakesOneFileAtATimeWhenOneGivesRoom() {
        try (Spool spool = Spool.open(small(FullPolicy.DROP_OLDEST).build())) {
            List<Long> ids = appendUntilDropped(spool);
            SpoolStats stats = spool.stats();
            long firstCycle = ChronicleSpool.rollCycle(RollPeriod.TEST_SECONDLY).toCycle(ids.get(0));
            assertEquals(firstCycle, ChronicleSpool.rollCycle(RollPeriod.TEST_SECONDLY)
                    .toCycle(stats.droppedOldestLastId()), "the first drop took the oldest file alone");
            // all of that file, nothing more: up to the append that dropped, which may have been into that same file
            // when the machine filled the spool within its first second (then the new event is kept, after the drop)
            long lastDropped = stats.droppedOldestLastId();
            assertEquals(ids.stream().filter(id -> ChronicleSpool.rollCycle(RollPeriod.TEST_SECONDLY).toCycle(id)
                    == firstCycle && Long.compareUnsigned(id, lastDropped) <= 0).count(), stats.droppedOldestEvents(),
                    "all of that file, nothing more");
        }
    }

    @Test
    void whenTheDiskFloorIsShortDropOldestDiscardsTheNewEventNotTheBacklog() {
        try (Spool spool = Spool.open(small(FullPolicy.DROP_OLDEST).build())) {
            spool.append("kept-1");
            spool.append("kept-2");
        }
        // a floor no disk has: dropping old events would give no disk space back until retention deletes them
        try (Spool spool = Spool.open(small(FullPolicy.DROP_OLDEST).minFreeDiskBytes(Long.MAX_VALUE / 4).build())) {
            assertEquals(Spool.DROPPED, spool.append("new"));
            SpoolStats stats = spool.stats();
            assertEquals(1, stats.droppedEvents());
            assertEquals(0, stats.droppedOldestEvents());
            assertEquals(List.of("kept-1", "kept-2"), Spools.readAll(spool).stream().map(Spools.Event::text).toList());
        }
    }
}
