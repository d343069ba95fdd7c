package io.wssink.internal.forward;

import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.wssink.WebSocketSink;
import io.wssink.internal.chaos.FaultProxy;
import io.wssink.protocol.Acks;
import io.wssink.testing.ScriptedServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
     * A receiver 50 ms away (25 ms each way) that holds the whole backlog and says so 20 ms after its handshake (a
     * lookup in its store): the sink sends only its resume window meanwhile. Before it, it sent the backlog again,
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
            link.delay(25);
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
