package io.wssink.internal.transport;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * Capped exponential backoff with full jitter: the n-th consecutive failure waits a uniformly random time in
 * {@code [0, min(max, initial * 2^n)]}, so that many sinks cut off at once do not return at once. The count resets
 * after a connection that made progress (moved the ack cursor, or in raw mode delivered events), which is also
 * retried at once, or that stayed up for {@code resetAfter}: an endpoint that accepts and drops at once still backs off, and a flaky link that
 * delivers thousands of events between cuts does not (a receiver that cut every 2,000-8,000 records made 15-25 s
 * waits between connections, 68x slower than an uncut link, when only uptime counted). Not thread-safe.
 */
public final class Backoff {
    private final long initialNanos;
    private final long maxNanos;
    private final long resetAfterNanos;
    private final RandomGenerator random;
    private int failures;
    /** The last connection made progress: the link failed, not the endpoint; the next attempt goes at once. */
    private boolean retryAtOnce;

    public Backoff(Duration initial, Duration max, Duration resetAfter) {
        this(initial, max, resetAfter, ThreadLocalRandom.current());
    }

    /** With the jitter drawn from {@code random} (a seeded one in tests). */
    Backoff(Duration initial, Duration max, Duration resetAfter, RandomGenerator random) {
        if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("backoff needs 0 < initial <= max, not " + initial + ", " + max);
        }
        this.initialNanos = initial.toNanos();
        this.maxNanos = max.toNanos();
        this.resetAfterNanos = resetAfter.toNanos();
        this.random = random;
    }

    /** The delay before the next attempt, after one more failure. */
    public long nextDelayNanos() {
        if (retryAtOnce) {
            retryAtOnce = false;
            return 0;
        }
        int shift = Math.min(failures++, 62);
        long ceiling = initialNanos > (maxNanos >> shift) ? maxNanos : Math.min(maxNanos, initialNanos << shift);
        return random.nextLong(ceiling + 1);
    }

    /**
     * A connection that was up for {@code upNanos} ended: resets the count if it made progress or stayed up long
     * enough. After progress the next attempt goes at once (a cut every 3,000 records cost about 50 ms of backoff
     * each, which held a flaky link to 0.05x of an uncut one); should that attempt fail, the waits start from
     * {@code initial}.
     */
    public void connectionEnded(long upNanos, boolean progressed) {
        if (progressed || upNanos >= resetAfterNanos) {
            failures = 0;
        }
        retryAtOnce = progressed;
    }
}
