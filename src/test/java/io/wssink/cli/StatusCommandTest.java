package io.wssink.cli;

import io.wssink.internal.spool.Spool;
import io.wssink.internal.spool.SpoolConfig;
import io.wssink.internal.spool.SpoolReader;
import io.wssink.internal.spool.SpoolRecord;
import io.wssink.spool.FullPolicy;
import io.wssink.spool.RollPeriod;
import io.wssink.spool.SpoolLockedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
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

    @Test
    void statusShowsTheEventsDroppedOldestWithTheirRangeAndTheEventsExpired() throws Exception {
        Path dir = tmp.resolve("spool");
        SpoolConfig config = SpoolConfig.builder(dir).rollPeriod(RollPeriod.TEST_SECONDLY).blockSize(1 << 20)
                .maxSpoolBytes(4 << 20).maxEventBytes(1 << 10).fullPolicy(FullPolicy.DROP_OLDEST)
                .maxEventAge(Duration.ofMillis(200)).build();
        long first;
        long last;
        long kept;
        try (Spool spool = Spool.open(config)) {
            first = spool.append("first");
            byte[] event = new byte[1000];
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(10)).until(() -> {
                for (int i = 0; i < 50; i++) {
                    spool.append(event, 0, event.length);
                }
                return spool.stats().droppedOldestEvents() > 0;
            });
            last = spool.stats().droppedOldestLastId();
            kept = spool.stats().backlogEvents();
            long aged = System.currentTimeMillis() + 250;
            await().atMost(Duration.ofSeconds(10)).until(() -> System.currentTimeMillis() > aged);
            try (SpoolReader reader = spool.openReader()) {
                assertFalse(reader.next(new SpoolRecord()), "every event kept is too old by now");
            }
        }
        String json = run(dir, "--json");
        assertTrue(json.contains("\"droppedOldestFirstId\":\"" + Long.toUnsignedString(first) + "\""), json);
        assertTrue(json.contains("\"droppedOldestLastId\":\"" + Long.toUnsignedString(last) + "\""), json);
        assertTrue(kept > 0);
        assertTrue(json.contains("\"expiredEvents\":" + kept + ","), json);
        String text = run(dir);
        assertTrue(text.contains("(the last range: ids " + Long.toUnsignedString(first) + " to "
                + Long.toUnsignedString(last) + ")"), text);
        assertTrue(text.contains("expired           " + kept + " events"), text);
    }

    private static String run(Path dir, String... more) {
        PrintStream was = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            String[] args = new String[more.length + 2];
            args[0] = "--spool";
            args[1] = dir.toString();
            System.arraycopy(more, 0, args, 2, more.length);
            assertEquals(0, new CommandLine(new StatusCommand()).execute(args));
        } finally {
            System.setOut(was);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
