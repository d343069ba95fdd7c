package io.wssink.internal.forward;

import io.wssink.internal.forward.DeliveryTracker.Verdict;
import org.junit.jupiter.api.Test;

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
        t.failAll(new IllegalStateException("closed"));
        ExecutionException e = assertThrows(ExecutionException.class, nine::get);
        assertInstanceOf(IllegalStateException.class, e.getCause());
        CompletableFuture<Void> late = t.waitFor(12, cursor::get, DeliveryTracker.NOTHING_DAMAGED);
        assertThrows(ExecutionException.class, late::get, "a waiter registered after the close fails too");
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
