package io.wssink.internal.spool;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Resuming is O(1) in the backlog: the reader finds the cursor through Chronicle's index and steps over one record.
 * The exact figures are the benchmarks' (benchmarks/README.md); here a generous ratio guards against a scan.
 */
class SpoolResumeTest {
    @TempDir
    Path tmp;

    @Test
    void resumingAfterTheCursorWithTwoMillionEventsBehindItIsAboutAsFastAsWithTen() {
        long small = resumeNanos(tmp.resolve("small"), 10);
        long large = resumeNanos(tmp.resolve("large"), 2_000_000);
        // A scan of 2M records takes around a second; the indexed path takes well under a millisecond either way.
        assertTrue(large < 20 * small + 50_000_000L, "resume with 2M behind: " + large / 1000 + " us, with 10: "
                + small / 1000 + " us");
    }

    /** Appends {@code events}, acks all but the last, and times reopening a reader and reading the last. */
    private static long resumeNanos(Path dir, int events) {
        SpoolConfig config = SpoolConfig.builder(dir).maxSpoolBytes(2L << 30).build();
        byte[] payload = new byte[100];
        long secondLast;
        try (Spool spool = Spool.open(config)) {
            for (int i = 0; i < events - 1; i++) {
                spool.append(payload, 0, payload.length);
            }
            secondLast = spool.stats().lastId();
            spool.append("last");
        }
        try (Spool spool = Spool.open(config)) {
            try (SpoolReader reader = spool.openReader()) {
                SpoolRecord r = new SpoolRecord();
                while (reader.lastReadId() != secondLast && reader.next(r)) {
                    // fast-forward to the second last, then ack it
                }
                reader.ack(secondLast);
            }
            long best = Long.MAX_VALUE;
            for (int attempt = 0; attempt < 5; attempt++) {
                long start = System.nanoTime();
                try (ChronicleSpoolReader reader = (ChronicleSpoolReader) spool.openReader()) {
                    SpoolRecord r = new SpoolRecord();
                    assertTrue(reader.next(r));
                    best = Math.min(best, System.nanoTime() - start);
                    assertEquals("last", new String(r.payloadCopy()));
                    assertEquals(1, reader.lastRewindSteps, "found through the index, not by a scan");
                }
            }
            return best;
        }
    }
}
