package io.wssink.internal.forward;

import io.wssink.internal.spool.Spool;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.LongSupplier;

/**
 * What has been delivered on the current connection: the highest id sent, the highest id the peer took (acked, or
 * in raw mode written to the socket), whether the next ack is the connection's first (the resume ack), and who
 * waits for which id. Netty-free and Chronicle-free; ids compare unsigned.
 *
 * <p>Threads: the forwarder thread owns every method except {@link #waitFor}, which any thread may call; the
 * waiters' map is the one structure they share.
 */
final class DeliveryTracker {
    /** What an ack from the peer means, checked against what this connection sent and what the spool holds. */
    enum Verdict {
        /** Within bounds: {@link #peerAck()} moved to it (or stayed, for an ack lower than one already seen). */
        ACCEPTED,
        /** The resume ack, past what was read: the receiver already holds it; skip reading to after it. */
        SKIP_AHEAD,
        /** The resume ack is past the last event in the spool: no receiver can hold that. Protocol error. */
        BEYOND_SPOOL,
        /** A later ack is past the highest id sent on this connection. Protocol error. */
        BEYOND_SENT
    }

    /** Who waits for which id, in unsigned id order; registered by any thread, completed by the forwarder thread. */
    private final ConcurrentNavigableMap<Long, CompletableFuture<Void>> waiters =
            new ConcurrentSkipListMap<>(Long::compareUnsigned);
    /**
     * Every waiter up to this id has been settled, or is left for the next bounded {@link #complete(long,
     * DamageCheck, int)}: written by the forwarder thread before it settles them, read by a registering thread after
     * it registered, so that one of the two always sees the other's waiter.
     */
    private volatile long completedThrough = Spool.NONE;
    /** Set once by failAll: why every waiter, present and future, fails. */
    private volatile Throwable closed;


    // forwarder thread only; reset by opened()
    /** The highest id sent on the current connection, or NONE. */
    private long highestSent;
    /** The highest id the peer took, across connections: where the cursor is to move. Never goes back. */
    private long peerAck;
    /** The next ack is the connection's first, the resume ack. */
    private boolean firstAck;

    /**
     * A connection opened: nothing is sent on it yet, and its first ack is the resume ack. Sending starts at once,
     * from the cursor (spec section 3): the receiver drops what it already holds, and no connection waits for a
     * resume ack that a receiver holding nothing may never send.
     */
    void opened() {
        highestSent = Spool.NONE;
        firstAck = true;
    }

    void sent(long id) {
        highestSent = id;
    }

    long highestSent() {
        return highestSent;
    }

    long peerAck() {
        return peerAck;
    }

    /** The connection's first ack, the resume ack, has not come yet. */
    boolean awaitingResumeAck() {
        return firstAck;
    }

    /**
     * Judges an ack. {@code lastAppendedId} is the last id in the spool (read for the resume ack only: any value
     * will do while {@link #awaitingResumeAck()} is false), {@code lastReadId} the last read from it.
     */
    Verdict onAck(long id, long lastAppendedId, long lastReadId) {
        if (firstAck) {
            firstAck = false;
            // The resume ack: the highest id the receiver already holds, which may be past anything sent here.
            if (Long.compareUnsigned(id, lastAppendedId) > 0) {
                return Verdict.BEYOND_SPOOL;
            }
            if (Long.compareUnsigned(id, highestSent) > 0) {
                highestSent = id; // the receiver holds it: later acks up to it are in bounds
            }
            if (Long.compareUnsigned(id, lastReadId) > 0) {
                peerAck = id;
                return Verdict.SKIP_AHEAD;
            }
        } else if (Long.compareUnsigned(id, highestSent) > 0) {
            return Verdict.BEYOND_SENT;
        }
        took(id);
        return Verdict.ACCEPTED;
    }

    /** Raw mode: the frames up to {@code id} are on the socket, whichever connection they went out on. */
    void onWritten(long id) {
        took(id);
    }

    private void took(long id) {
        if (Long.compareUnsigned(id, peerAck) > 0) {
            peerAck = id;
        }
    }

    /**
     * A future that completes once {@code id} is delivered, or fails as {@code damage} says if the cursor passed it
     * without delivering it. Any thread.
     *
     * @param cursor the spool's persisted cursor: an id at or below it is settled at once
     */
    CompletableFuture<Void> waitFor(long id, LongSupplier cursor, DamageCheck damage) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        if (Long.compareUnsigned(id, cursor.getAsLong()) <= 0) {
            settle(id, f, damage);
            return f;
        }
        CompletableFuture<Void> registered = waiters.putIfAbsent(id, f);
        if (registered != null) {
            return registered;
        }
        // registered first, then read: a complete() or failAll() that ran meanwhile is seen here
        Throwable why = closed;
        if (why != null || Long.compareUnsigned(id, completedThrough) <= 0) {
            if (waiters.remove(id, f)) {
                if (why != null) {
                    f.completeExceptionally(why);
                } else {
                    settle(id, f, damage);
                }
            }
        }
        return f;
    }

    /** Checks an id that the cursor passed: throws if the event was never delivered (a damaged record). */
    @FunctionalInterface
    interface DamageCheck {
        void check(long id);
    }

    static final DamageCheck NOTHING_DAMAGED = id -> { };

    /**
     * Settles every waiter for an id up to {@code upTo}: completed, or, when {@code damage} rejects its event (the
     * cursor moved over it, but it was never sent), failed with the exception it throws. Entry by entry, so that a
     * waiter registered meanwhile is settled here or by its own thread, never dropped.
     */
    void complete(long upTo, DamageCheck damage) {
        complete(upTo, damage, Integer.MAX_VALUE);
    }

    /**
     * As {@link #complete(long, DamageCheck)}, settling at most {@code max} waiters, oldest first; the others stay
     * registered, and a later call (with the same {@code upTo} or a higher one) goes on with them. A waiter for an
     * id up to {@code upTo} registered meanwhile settles itself, as after a full complete.
     *
     * @return how many waiters this call settled: {@code max} when some may be left
     */
    int complete(long upTo, DamageCheck damage, int max) {
        completedThrough = upTo;
        int settled = 0;
        Map.Entry<Long, CompletableFuture<Void>> e;
        while (settled < max && (e = waiters.firstEntry()) != null && Long.compareUnsigned(e.getKey(), upTo) <= 0) {
            if (waiters.remove(e.getKey(), e.getValue())) {
                settle(e.getKey(), e.getValue(), damage);
                settled++;
            }
        }
        return settled;
    }

    private static void settle(long id, CompletableFuture<Void> f, DamageCheck damage) {
        try {
            damage.check(id);
            f.complete(null);
        } catch (RuntimeException e) {
            f.completeExceptionally(e);
        }
    }

    /**
     * Fails every waiter, and every later one (the sink closed first); waiters that the cursor already covered and
     * a bounded {@link #complete(long, DamageCheck, int)} left for a later call are settled first, as {@code damage}
     * says: their events were delivered. Any thread (the closing one), even while the forwarder thread settles: each
     * waiter is removed once, by one of them.
     */
    void failAll(Throwable why, DamageCheck damage) {
        complete(completedThrough, damage);
        closed = why;
        Map.Entry<Long, CompletableFuture<Void>> e;
        while ((e = waiters.pollFirstEntry()) != null) {
            e.getValue().completeExceptionally(why);
        }
    }
}
