package io.wssink.internal.forward;

import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.wssink.WebSocketSink;
import io.wssink.internal.chaos.FaultProxy;
import io.wssink.protocol.Acks;
import io.wssink.protocol.ConnectionState;
import io.wssink.testing.ScriptedServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A new connection sends at most {@link Forwarder#RESUME_WINDOW_BYTES} until its resume ack comes, for at most twice
 * the time its opening took, then its whole window: a receiver that already holds the backlog is not sent it again,
 * and one that sends no resume ack is not kept waiting for it.
 */
class ResumeWindowTest {
    private static final int EVENTS = 20_000;
    private static final byte[] PAYLOAD = new byte[100];

    @TempDir
    Path tmp;

    /** Spools {@link #EVENTS} events that a receiver takes and never acks; returns the last id. */
    private long spoolUnacked(Path spool) throws Exception {
        try (ScriptedServer silent = ScriptedServer.wssink(ch -> { }, (ch, ids) -> { });
             WebSocketSink sink = WebSocketSink.builder().url(silent.url()).spool(spool)
                     .drainTimeout(Duration.ZERO).build()) {
            long last = 0;
            for (int i = 0; i < EVENTS; i++) {
                last = sink.write(PAYLOAD);
            }
            return last;
        }
    }

    /**
     * A receiver 100 ms away (50 ms each way) that holds the whole backlog and says so 20 ms after its handshake (a
     * lookup in its store): the sink sends only its resume window meanwhile (it waits twice the opening, here at
     * least 200 ms, so the resume ack comes with 180 ms to spare). Before it, it sent the backlog again,
     * all of it within those 20 ms, and the receiver dropped every record as a duplicate.
     */
    @Test
    void aReceiverHoldingTheBacklogIsNotSentItAgainWhileItsResumeAckIsOnTheWay() throws Exception {
        Path spool = tmp.resolve("spool");
        long last = spoolUnacked(spool);
        AtomicInteger received = new AtomicInteger();
        AtomicLong highest = new AtomicLong();
        try (ScriptedServer holder = ScriptedServer.wssink(
                ch -> ch.eventLoop().schedule(() -> ch.writeAndFlush(new TextWebSocketFrame(Acks.format(last))),
                        20, TimeUnit.MILLISECONDS),
                (ch, ids) -> {
                    for (long id : ids) {
                        if (Long.compareUnsigned(id, last) <= 0) {
                            received.incrementAndGet();
                        }
                        highest.set(id);
                    }
                });
             FaultProxy link = new FaultProxy(holder.port())) {
            link.delay(50);
            try (WebSocketSink sink = WebSocketSink.builder().url(link.url()).spool(spool).build()) {
                sink.acked(last).get(30, TimeUnit.SECONDS);
                assertEquals(0, sink.status().spool().backlogEvents(), "the resume ack covers the whole backlog");
                // one more on the same connection: once it arrived, so did everything sent before it
                long next = sink.write(PAYLOAD);
                await().atMost(Duration.ofSeconds(30)).until(() -> highest.get() == next);
                assertEquals(1, sink.status().connections());
            }
        }
        long window = 4096 / PAYLOAD.length + 1; // 4 KiB, and the record that crosses it
        assertTrue(received.get() <= window, "sent " + received.get() + " records the receiver already held,"
                + " more than the resume window's " + window);
    }

    /**
     * A connection closed inside its resume window, and the next attempt hangs in its handshake (a link that went
     * dark): the forwarder idles while it waits. The window's deadline, left set by the closed connection, held its
     * park at 0 and the shared runner thread spun for the whole attempt.
     */
    @Test
    void aConnectionClosedInsideItsResumeWindowLeavesNoSpinningForwarder() throws Exception {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadCpuTimeSupported(), "this JVM cannot tell a thread's CPU time");
        AtomicReference<FaultProxy> link = new AtomicReference<>();
        AtomicInteger opened = new AtomicInteger();
        try (ScriptedServer closer = ScriptedServer.wssink(ch -> {
                 opened.incrementAndGet();
                 link.get().blackhole(true); // the next attempt's handshake gets no answer
                 ch.close(); // at once: inside the resume window, no resume ack
             }, (ch, ids) -> { });
             FaultProxy proxy = new FaultProxy(closer.port())) {
            link.set(proxy);
            try (WebSocketSink sink = WebSocketSink.builder().url(proxy.url()).spool(tmp.resolve("spool"))
                    .backoff(Duration.ofMillis(1), Duration.ofMillis(1)).handshakeTimeout(Duration.ofSeconds(30))
                    .drainTimeout(Duration.ZERO).build()) {
                sink.write(PAYLOAD);
                await().atMost(Duration.ofSeconds(30)).until(() -> opened.get() == 1
                        && sink.status().failedAttempts() >= 1 && sink.status().state() == ConnectionState.CONNECTING);
                long before = forwarderCpuNanos(threads);
                // the measuring interval, not a wait for something to happen: a spinning runner burns it all
                await().pollDelay(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2)).until(() -> true);
                long used = forwarderCpuNanos(threads) - before;
                assertEquals(ConnectionState.CONNECTING, sink.status().state(), "the attempt still hangs");
                assertTrue(used < 300_000_000L, "the forwarder threads used " + used / 1_000_000
                        + " ms of CPU in 1 s of waiting for a handshake: spinning");
            }
        }
    }

    private static long forwarderCpuNanos(ThreadMXBean threads) {
        long sum = 0;
        for (ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (t != null && t.getThreadName().startsWith("wssink-forwarder")) {
                sum += Math.max(0, threads.getThreadCpuTime(t.getThreadId()));
            }
        }
        return sum;
    }

    /**
     * A receiver that holds nothing and sends no resume ack (spec section 3 allows it), nor any ack: once the resume
     * wait is over, the sink sends its whole window, not only the resume window.
     */
    @Test
    void aReceiverThatSendsNoResumeAckGetsTheWholeWindow() throws Exception {
        AtomicLong received = new AtomicLong();
        try (ScriptedServer silent = ScriptedServer.wssink(ch -> { }, (ch, ids) -> received.addAndGet(ids.size()));
             WebSocketSink sink = WebSocketSink.builder().url(silent.url()).spool(tmp.resolve("spool"))
                     .drainTimeout(Duration.ZERO).build()) {
            for (int i = 0; i < EVENTS; i++) {
                sink.write(PAYLOAD);
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> received.get() == EVENTS);
            assertEquals(1, sink.status().connections());
        }
    }
}
