package io.wssink.internal.transport;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackoffTest {
    private static final long SEED = 20261126L;
    private static final long MS = 1_000_000;

    private static Backoff backoff() {
        return new Backoff(Duration.ofMillis(100), Duration.ofSeconds(30), Duration.ofSeconds(10),
                new SplittableRandom(SEED));
    }

    @Test
    void delaysStayUnderTheirDoublingCeiling() {
        Backoff b = backoff();
        long ceiling = 100 * MS;
        for (int failure = 0; failure < 12; failure++) {
            long d = b.nextDelayNanos();
            assertTrue(d >= 0 && d <= Math.min(ceiling, 30_000 * MS), "delay " + d + " at failure " + failure
                    + " (seed " + SEED + ")");
            ceiling *= 2;
        }
    }

    @Test
    void aConnectionThatMadeProgressStartsTheBackoffOver() {
        Backoff b = backoff();
        for (int i = 0; i < 10; i++) {
            b.nextDelayNanos();
        }
        b.connectionEnded(MS, true); // up for 1 ms, but it moved the ack cursor
        for (int i = 0; i < 200; i++) {
            assertEquals(0, b.nextDelayNanos(), "the link failed, not the endpoint: at once");
            long d = b.nextDelayNanos();
            assertTrue(d <= 100 * MS, "delay " + d + " after a failed retry (seed " + SEED + ")");
            b.connectionEnded(MS, true);
        }
    }

    @Test
    void aConnectionDroppedAtOnceWithoutProgressKeepsBackingOff() {
        Backoff b = backoff();
        long longest = 0;
        for (int i = 0; i < 12; i++) {
            b.connectionEnded(MS, false);
            longest = Math.max(longest, b.nextDelayNanos());
        }
        assertTrue(longest > 1_000 * MS, "longest delay " + longest / MS + " ms (seed " + SEED + ")");
        b.connectionEnded(Duration.ofSeconds(10).toNanos(), false); // stayed up long enough
        assertTrue(b.nextDelayNanos() <= 100 * MS);
    }
}
