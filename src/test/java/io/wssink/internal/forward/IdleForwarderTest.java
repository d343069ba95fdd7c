package io.wssink.internal.forward;

import com.sun.management.ThreadMXBean;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.wssink.internal.spool.Spool;
import io.wssink.internal.spool.SpoolConfig;
import io.wssink.internal.transport.TransportConfig;
import io.wssink.protocol.Acks;
import io.wssink.spool.RollPeriod;
import io.wssink.testing.ScriptedServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Events written one at a time, each acked before the next (a live sink at a low rate): the forwarder goes idle
 * between events and again after each ack. Its idle check and each ack asked Chronicle for the last index appended,
 * which makes, reads and releases a tailer (a stat of the cycle file, its header parsed, the release handed to
 * Chronicle's background thread): 10,834 bytes allocated per event on the forwarder thread, 446 since the check
 * looks at the reader's own tailer, 218 since a status snapshot is made only on a change (one run each,
 * 2026-11-26). Counted from the forwarder thread's own allocation counter, not timed.
 */
class IdleForwarderTest {
    private static final int WARMUP = 500;
    private static final int EVENTS = 1500;
    /** Per event: the ack's inbox entry, the frame, the status snapshots, a skip-list entry: well under this. */
    private static final long MAX_BYTES_PER_EVENT = 4096;
    private static final byte[] PAYLOAD = new byte[100];

    @TempDir
    Path tmp;

    @Test
    void anIdleForwarderAllocatesLittlePerEvent() throws Exception {
        Object bean = ManagementFactory.getThreadMXBean();
        assumeTrue(bean instanceof ThreadMXBean, "this JVM has no per-thread allocation counter");
        ThreadMXBean threads = (ThreadMXBean) bean;
        assumeTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled(),
                "this JVM does not count each thread's allocation");
        try (ScriptedServer server = ScriptedServer.wssink(ch -> { },
                (ch, ids) -> ch.writeAndFlush(new TextWebSocketFrame(Acks.format(ids.get(ids.size() - 1)))));
             Spool spool = Spool.open(SpoolConfig.builder(tmp.resolve("spool")).build())) {
            Forwarder forwarder = new Forwarder(spool, TransportConfig.builder().url(server.url()).build(), m -> { });
            try {
                forwarder.start();
                AtomicLong thread = new AtomicLong(-1);
                long first = spool.append(PAYLOAD, 0, PAYLOAD.length);
                forwarder.acked(first).thenRun(() -> thread.set(Thread.currentThread().getId())); // its thread
                forwarder.wake();
                await().atMost(Duration.ofSeconds(30)).until(() -> thread.get() != -1);
                long before = 0;
                for (int i = 0; i < WARMUP + EVENTS; i++) {
                    if (i == WARMUP) {
                        before = threads.getThreadAllocatedBytes(thread.get());
                    }
                    long id = spool.append(PAYLOAD, 0, PAYLOAD.length);
                    forwarder.wake();
                    forwarder.acked(id).get(30, TimeUnit.SECONDS);
                }
                long perEvent = (threads.getThreadAllocatedBytes(thread.get()) - before) / EVENTS;
                assertTrue(perEvent < MAX_BYTES_PER_EVENT, "the forwarder thread allocated " + perEvent
                        + " bytes per event written, sent and acked one at a time");
            } finally {
                forwarder.close(0);
            }
        }
    }

    /**
     * A spool idle for a whole cycle (an hourly one idle for an hour) has no file for that cycle. Retention asked
     * Chronicle for the files up to the one before the cursor's, Chronicle threw for the missing one, and the forwarder
     * took that for an internal error each second (retention's pace): it dropped the connection and reconnected, until
     * the cursor moved into the next cycle. Here with one-second cycles.
     */
    @Test
    void aCycleWithNoEventsDoesNotDisturbTheConnection() throws Exception {
        try (ScriptedServer server = ScriptedServer.wssink(ch -> { },
                (ch, ids) -> ch.writeAndFlush(new TextWebSocketFrame(Acks.format(ids.get(ids.size() - 1)))));
             Spool spool = Spool.open(SpoolConfig.builder(tmp.resolve("spool")).rollPeriod(RollPeriod.TEST_SECONDLY)
                     .build())) {
            Forwarder forwarder = new Forwarder(spool, TransportConfig.builder().url(server.url()).build(), m -> { });
            try {
                forwarder.start();
                long before = spool.append(PAYLOAD, 0, PAYLOAD.length);
                forwarder.wake();
                forwarder.acked(before).get(30, TimeUnit.SECONDS);
                long appendedBy = System.currentTimeMillis();
                // two cycle lengths later: the cycle after the first event's has none
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                        .until(() -> System.currentTimeMillis() >= appendedBy + 2000);
                long after = spool.append(PAYLOAD, 0, PAYLOAD.length);
                forwarder.wake();
                forwarder.acked(after).get(30, TimeUnit.SECONDS); // the cursor is in a cycle after the gap
                // retention runs once a second: three runs with the cursor there
                await("one connection, no error").during(Duration.ofMillis(3500)).atMost(Duration.ofSeconds(5))
                        .until(() -> forwarder.status().connections() == 1 && forwarder.status().lastError() == null);
            } finally {
                forwarder.close(0);
            }
        }
    }
}
