package io.wssink.internal.spool;

import io.wssink.testing.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * statsWithoutLock (what a metrics scrape reads) racing close, which unmaps the spool's files: a scrape either reads
 * the stats of the open spool or is told "the spool is closed", never reads unmapped memory. Before the fix, a scrape
 * that had passed the open check read on while close unmapped: Chronicle's "closed" errors, or a crash of the JVM,
 * which is why the race runs in a child JVM.
 */
class SpoolStatsCloseRaceTest {
    private static final int ROUNDS = 150;

    @TempDir
    Path tmp;

    @Test
    void aScrapeRacingCloseReadsTheStatsOrIsToldTheSpoolIsClosed() throws Exception {
        try (ChildJvm child = ChildJvm.start(RacingChild.class, tmp.resolve("child.err"), tmp.toString(),
                Integer.toString(ROUNDS))) {
            int code = child.waitFor(240);
            assertEquals(0, code, () -> "the child failed: " + child.lines() + "\n" + stderr());
            assertTrue(child.lines().contains("rounds " + ROUNDS), child.lines()::toString);
        }
    }

    private String stderr() {
        try {
            return Files.readString(tmp.resolve("child.err"));
        } catch (Exception e) {
            return e.toString();
        }
    }

    /** Opens a spool, lets two threads read its stats without a pause, closes it under them; many rounds. */
    public static final class RacingChild {
        public static void main(String[] args) throws Exception {
            Path base = Path.of(args[0]);
            int rounds = Integer.parseInt(args[1]);
            AtomicReference<Throwable> wrong = new AtomicReference<>();
            for (int round = 0; round < rounds && wrong.get() == null; round++) {
                Spool spool = Spool.open(SpoolConfig.builder(base.resolve("spool-" + round)).blockSize(1 << 20)
                        .maxSpoolBytes(64L << 20).maxEventBytes(1 << 16).build());
                for (int i = 0; i < 100; i++) {
                    spool.append("event-" + i);
                }
                CountDownLatch reading = new CountDownLatch(2);
                Thread[] scrapers = new Thread[2];
                for (int t = 0; t < scrapers.length; t++) {
                    scrapers[t] = new Thread(() -> {
                        reading.countDown();
                        while (true) {
                            try {
                                if (spool.statsWithoutLock().appendedEvents() != 100) {
                                    wrong.compareAndSet(null, new AssertionError("stats read wrong while open"));
                                    return;
                                }
                            } catch (IllegalStateException e) {
                                if (!"the spool is closed".equals(e.getMessage())) {
                                    wrong.compareAndSet(null, e); // Chronicle's: read after the files were closed
                                }
                                return;
                            } catch (Throwable e) {
                                wrong.compareAndSet(null, e);
                                return;
                            }
                        }
                    });
                    scrapers[t].start();
                }
                reading.await();
                spool.close();
                for (Thread t : scrapers) {
                    t.join(30_000);
                }
            }
            if (wrong.get() != null) {
                wrong.get().printStackTrace();
                System.out.println("wrong " + wrong.get());
                System.exit(1);
            }
            System.out.println("rounds " + rounds);
            System.out.flush();
        }
    }
}
