package io.wssink.cli;

import io.wssink.spool.Spool;
import io.wssink.spool.SpoolConfig;
import io.wssink.spool.SpoolLockedException;
import io.wssink.spool.SpoolReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Path;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/** {@code wssink status} never stands in a sender's way. */
class StatusCommandTest {
    @TempDir
    Path tmp;

    @Test
    void statusNeverMakesASenderStartingAtTheSameInstantFindTheSpoolInUse() throws Exception {
        Path dir = tmp.resolve("spool");
        SpoolConfig config = SpoolConfig.builder(dir).blockSize(1 << 20).maxSpoolBytes(16 << 20)
                .maxEventBytes(1 << 10).build();
        try (Spool spool = Spool.open(config)) {
            spool.append("event");
        }
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger started = new AtomicInteger();
        ConcurrentLinkedQueue<String> refused = new ConcurrentLinkedQueue<>();
        Thread senders = new Thread(() -> {
            try (Spool spool = Spool.open(config)) {
                while (!stop.get()) { // a sender starting, again and again, as status runs beside it
                    try (SpoolReader ignored = spool.openReader()) {
                        started.incrementAndGet();
                    } catch (SpoolLockedException e) {
                        refused.add(e.getMessage());
                    }
                }
            }
        }, "senders");
        senders.start();
        try {
            for (int i = 0; i < 200 && refused.isEmpty(); i++) {
                assertEquals(0, new CommandLine(new StatusCommand()).execute("--spool", dir.toString(), "--json"));
            }
        } finally {
            stop.set(true);
            senders.join(30_000);
        }
        assertTrue(started.get() > 0, "the senders ran");
        assertEquals(0, refused.size(), "a sender found the spool in use by status: " + refused.peek());
    }
}
