package io.wssink.internal.forward;

import io.wssink.internal.forward.DeliveryTracker.Verdict;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeliveryTrackerTest {
    private final DeliveryTracker t = new DeliveryTracker();

    @Test
    void laterAcksAreBoundedByWhatThisConnectionSent() {
        t.opened();
        assertEquals(Verdict.ACCEPTED, t.onAck(0, 100, 0), "resume ack: the receiver holds nothing");
        t.sent(10);
        assertEquals(Verdict.ACCEPTED, t.onAck(7, 100, 10));
        assertEquals(7, t.peerAck());
        assertEquals(Verdict.ACCEPTED, t.onAck(5, 100, 10), "a lower ack is ignored");
        assertEquals(7, t.peerAck(), "acks are monotonic");
        assertEquals(Verdict.BEYOND_SENT, t.onAck(11, 100, 10));
        assertEquals(7, t.peerAck());
    }

    @Test
    void theResumeAckMayGoPastWhatWasSentButNotPastTheSpool() {
        t.opened();
        assertEquals(Verdict.SKIP_AHEAD, t.onAck(50, 100, 0));
        assertEquals(50, t.peerAck());
        t.opened();
        assertEquals(Verdict.BEYOND_SPOOL, t.onAck(101, 100, 0));
        assertEquals(50, t.peerAck());
    }

    @Test
    void eachConnectionHasItsOwnResumeAckAndSentBound() {
        t.opened();
        t.sent(10);
        assertEquals(Verdict.ACCEPTED, t.onAck(10, 100, 10));
        t.opened();
        assertEquals(0, t.highestSent());
        assertEquals(Verdict.ACCEPTED, t.onAck(10, 100, 10), "first ack of the new connection");
        assertEquals(Verdict.BEYOND_SENT, t.onAck(11, 100, 10), "nothing past the resume ack sent yet");
    }

    @Test
    void idsCompareUnsigned() {
        t.opened();
        t.sent(-2); // 2^64-2
        assertEquals(Verdict.ACCEPTED, t.onAck(0, -1, -2));
        assertEquals(Verdict.ACCEPTED, t.onAck(-2, -1, -2));
        assertEquals(-2, t.peerAck());
        assertEquals(Verdict.BEYOND_SENT, t.onAck(-1, -1, -2));
    }

    @Test
    void aResumeAckPastWhatWasSentBoundsLaterAcks() {
        t.opened();
        t.sent(10); // sent before the resume ack came: the sink never waits for it
        assertEquals(Verdict.SKIP_AHEAD, t.onAck(40, 100, 10));
        assertEquals(40, t.highestSent(), "the receiver holds 40");
        assertEquals(Verdict.ACCEPTED, t.onAck(40, 100, 40));
        t.sent(41);
        assertEquals(Verdict.ACCEPTED, t.onAck(41, 100, 41));
        assertEquals(Verdict.BEYOND_SENT, t.onAck(42, 100, 41));
    }

    @Test
    void rawWritesMoveThePeerAck() {
        t.onWritten(4);
        t.onWritten(2);
        assertEquals(4, t.peerAck());
    }

    @Test
    void aWaiterForADamagedEventFailsWhenTheCursorPassesIt() throws Exception {
        CompletableFuture<Void> four = t.waitFor(4, () -> 0, DeliveryTracker.NOTHING_DAMAGED);
        CompletableFuture<Void> five = t.waitFor(5, () -> 0, DeliveryTracker.NOTHING_DAMAGED);
        t.complete(5, id -> {
            if (id == 4) {
                throw new IllegalStateException("event 4 was damaged");
            }
        });
        assertTrue(five.isDone() && !five.isCompletedExceptionally());
        ExecutionException e = assertThrows(ExecutionException.class, four::get);
        assertEquals("event 4 was damaged", e.getCause().getMessage());
    }

    @Test
    void waitersCompleteOnceTheirIdIsCovered() throws Exception {
        AtomicLong cursor = new AtomicLong(3);
        assertTrue(t.waitFor(3, cursor::get, DeliveryTracker.NOTHING_DAMAGED).isDone(), "already acked");
        CompletableFuture<Void> five = t.waitFor(5, cursor::get, DeliveryTracker.NOTHING_DAMAGED);
        CompletableFuture<Void> nine = t.waitFor(9, cursor::get, DeliveryTracker.NOTHING_DAMAGED);
        assertFalse(five.isDone());
        t.complete(6, DeliveryTracker.NOTHING_DAMAGED);
        assertTrue(five.isDone());
        assertFalse(nine.isDone());
        t.failAll(new IllegalStateException("closed"), DeliveryTracker.NOTHING_DAMAGED);
        ExecutionException e = assertThrows(ExecutionException.class, nine::get);
        assertInstanceOf(IllegalStateException.class, e.getCause());
        CompletableFuture<Void> late = t.waitFor(12, cursor::get, DeliveryTracker.NOTHING_DAMAGED);
        assertThrows(ExecutionException.class, late::get, "a waiter registered after the close fails too");
    }

    /**
     * One ack covering many waiters settles them a slice per call, oldest first (the forwarder sends between two
     * slices); a waiter registered meanwhile for an id the cursor covers settles itself at once.
     */
    @Test
    void aBoundedCompleteSettlesTheOldestFirstAndLeavesTheRestForTheNextCall() {
        List<Long> order = new CopyOnWriteArrayList<>();
        List<CompletableFuture<Void>> futures = new ArrayList<>();
        for (long id = 2; id <= 400; id += 2) { // 200 waiters, even ids
            long waited = id;
            CompletableFuture<Void> f = t.waitFor(id, () -> 0, DeliveryTracker.NOTHING_DAMAGED);
            f.thenRun(() -> order.add(waited));
            futures.add(f);
        }
        assertEquals(64, t.complete(400, DeliveryTracker.NOTHING_DAMAGED, 64));
        assertEquals(64, order.size());
        assertTrue(futures.get(63).isDone());
        assertFalse(futures.get(64).isDone(), "left for the next call");
        CompletableFuture<Void> odd = t.waitFor(3, () -> 0, DeliveryTracker.NOTHING_DAMAGED);
        assertTrue(odd.isDone(), "covered by the cursor: settled by the thread that registered it");
        assertEquals(64, t.complete(400, DeliveryTracker.NOTHING_DAMAGED, 64));
        assertEquals(64, t.complete(400, DeliveryTracker.NOTHING_DAMAGED, 64));
        assertEquals(8, t.complete(400, DeliveryTracker.NOTHING_DAMAGED, 64), "the last slice: none left after it");
        assertEquals(0, t.complete(400, DeliveryTracker.NOTHING_DAMAGED, 64));
        assertTrue(futures.stream().allMatch(f -> f.isDone() && !f.isCompletedExceptionally()));
        for (int i = 0; i < order.size(); i++) {
            assertEquals(2L * (i + 1), order.get(i), "settled oldest first");
        }
    }

    /**
     * Closing fails the waiters no ack covered; those an ack covered but a bounded complete had not reached yet
     * complete, as their events were delivered (a damaged one fails as such).
     */
    @Test
    void failAllCompletesWhatTheCursorCoveredAndFailsTheRest() {
        List<CompletableFuture<Void>> futures = new ArrayList<>();
        for (long id = 1; id <= 100; id++) {
            futures.add(t.waitFor(id, () -> 0, DeliveryTracker.NOTHING_DAMAGED));
        }
        DeliveryTracker.DamageCheck damaged40 = id -> {
            if (id == 40) {
                throw new IllegalStateException("event 40 was damaged");
            }
        };
        assertEquals(10, t.complete(50, damaged40, 10));
        t.failAll(new IllegalStateException("closed"), damaged40);
        for (int id = 1; id <= 100; id++) {
            CompletableFuture<Void> f = futures.get(id - 1);
            assertTrue(f.isDone(), "waiter " + id);
            if (id <= 50) {
                ExecutionException e = id == 40 ? assertThrows(ExecutionException.class, f::get) : null;
                assertEquals(id == 40, f.isCompletedExceptionally(), "waiter " + id);
                if (e != null) {
                    assertEquals("event 40 was damaged", e.getCause().getMessage());
                }
            } else {
                ExecutionException e = assertThrows(ExecutionException.class, f::get, "waiter " + id);
                assertEquals("closed", e.getCause().getMessage());
            }
        }
    }

    @Test
    void aWaiterRegisteredWhileWaitersAreSettledIsNeverDropped() throws Exception {
        long seed = 20261126L;
        Random random = new Random(seed);
        for (int round = 0; round < 200; round++) {
            DeliveryTracker tracker = new DeliveryTracker();
            int n = 200;
            long[] ids = new long[n];
            for (int i = 0; i < n; i++) {
                ids[i] = 1 + random.nextInt(1000);
            }
            List<CompletableFuture<Void>> futures = new CopyOnWriteArrayList<>();
            Thread registering = new Thread(() -> {
                for (long id : ids) {
                    futures.add(tracker.waitFor(id, () -> 0, DeliveryTracker.NOTHING_DAMAGED));
                }
            });
            registering.start();
            for (long upTo = 0; upTo <= 1000; upTo += 50) {
                tracker.complete(upTo, DeliveryTracker.NOTHING_DAMAGED);
            }
            registering.join();
            tracker.complete(1000, DeliveryTracker.NOTHING_DAMAGED);
            for (CompletableFuture<Void> f : futures) {
                assertTrue(f.isDone(), "a waiter was dropped in round " + round + " (seed " + seed + ")");
            }
        }
    }
}
