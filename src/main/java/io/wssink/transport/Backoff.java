package io.wssink.transport;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Capped exponential backoff with full jitter: the n-th consecutive failure waits a uniformly random time in
 * {@code [0, min(max, initial * 2^n)]}, so that many sinks cut off at once do not return at once. The count resets
 * only after a connection stayed up for {@code resetAfter}: an endpoint that accepts and drops at once still backs
 * off. Not thread-safe.
 */
public final class Backoff {
    private final long initialNanos;
    private final long maxNanos;
    private final long resetAfterNanos;
    private int failures;

    public Backoff(Duration initial, Duration max, Duration resetAfter) {
        if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("backoff needs 0 < initial <= max, not " + initial + ", " + max);
        }
        this.initialNanos = initial.toNanos();
        this.maxNanos = max.toNanos();
        this.resetAfterNanos = resetAfter.toNanos();
    }

    /** The delay before the next attempt, after one more failure. */
    public long nextDelayNanos() {
        int shift = Math.min(failures++, 62);
        long ceiling = initialNanos > (maxNanos >> shift) ? maxNanos : Math.min(maxNanos, initialNanos << shift);
        return ThreadLocalRandom.current().nextLong(ceiling + 1);
    }

    /** A connection that was up for {@code upNanos} ended: resets the count if it stayed up long enough. */
    public void connectionEnded(long upNanos) {
        if (upNanos >= resetAfterNanos) {
            failures = 0;
        }
    }
}
