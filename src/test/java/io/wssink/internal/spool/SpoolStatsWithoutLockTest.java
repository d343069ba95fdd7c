package io.wssink.internal.spool;

import io.wssink.spool.SpoolStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** Metrics read statsWithoutLock while writers append: it must never wait for the monitor that append takes. */
class SpoolStatsWithoutLockTest {
    @TempDir
    Path tmp;

    @Test
    void readsTheBacklogWhileAnotherThreadHoldsTheAppendMonitor() throws Exception {
        try (Spool spool = Spool.open(SpoolConfig.builder(tmp.resolve("spool")).blockSize(1 << 20).build())) {
            for (int i = 0; i < 10; i++) {
                spool.append("event-" + i);
            }
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Thread holder = new Thread(() -> {
                synchronized (spool) { // what an append in progress holds
                    held.countDown();
                    try {
                        release.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            });
            holder.start();
            try {
                assertTrue(held.await(10, TimeUnit.SECONDS));
                SpoolStats stats = CompletableFuture.supplyAsync(spool::statsWithoutLock).get(10, TimeUnit.SECONDS);
                assertEquals(10, stats.backlogEvents());
                assertEquals(10, stats.appendedEvents());
                // fewer appends than a counter batch: their bytes are still this process's own, and count
                assertEquals(10L * (RecordCodec.HEADER_BYTES + "event-0".length()), stats.backlogBytes());
            } finally {
                release.countDown();
                holder.join(10_000);
            }
            assertEquals(10, spool.stats().backlogEvents());
        }
    }

    @Test
    void failsOnceClosedInsteadOfReadingUnmappedFiles() {
        Spool spool = Spool.open(SpoolConfig.builder(tmp.resolve("spool")).blockSize(1 << 20).build());
        spool.append("x");
        spool.close();
        assertThrows(IllegalStateException.class, spool::statsWithoutLock);
    }
}
