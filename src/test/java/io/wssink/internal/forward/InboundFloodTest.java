package io.wssink.internal.forward;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.wssink.WebSocketSink;
import io.wssink.testing.ScriptedServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A receiver floods 1 MiB messages at a listener that is stuck: the sink stops reading its socket instead of
 * queueing them on its heap, so the receiver is held back by TCP; once the listener moves, every message arrives,
 * in order.
 */
class InboundFloodTest {
    private static final int MESSAGES = 256; // 256 MiB: what an unbounded queue would have taken onto the heap
    private static final int SIZE = 1_000_000;

    @TempDir
    Path tmp;

    /** Writes the next message whenever the last one left for the socket: the server itself never buffers much. */
    private static void pump(Channel ch, AtomicInteger sent) {
        if (sent.get() >= MESSAGES) {
            return;
        }
        int i = sent.getAndIncrement();
        ByteBuffer payload = ByteBuffer.allocate(SIZE).putInt(0, i);
        ch.writeAndFlush(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(payload))).addListener(f -> {
            if (f.isSuccess()) {
                pump(ch, sent);
            }
        });
    }

    @Test
    void aStuckListenerHoldsTheReceiverBackAndLosesNothing() throws Exception {
        AtomicInteger sent = new AtomicInteger();
        CountDownLatch unstuck = new CountDownLatch(1);
        List<Integer> delivered = new CopyOnWriteArrayList<>();
        try (ScriptedServer flood = ScriptedServer.wssink(ch -> pump(ch, sent), (ch, ids) -> { });
             WebSocketSink sink = WebSocketSink.builder().url(flood.url()).spool(tmp.resolve("spool"))
                     .onMessage(m -> {
                         try {
                             unstuck.await(120, TimeUnit.SECONDS); // a listener that takes its time
                         } catch (InterruptedException e) {
                             Thread.currentThread().interrupt();
                         }
                         delivered.add(ByteBuffer.wrap(m.data()).getInt());
                     }).build()) {
            // the flood stops growing once TCP holds the server back
            AtomicLong last = new AtomicLong(-1);
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .until(() -> last.getAndSet(sent.get()) == sent.get() && sent.get() > 0);
            int held = sent.get();
            assertTrue(held < MESSAGES / 2, held + " of " + MESSAGES + " MiB-messages left the server while the"
                    + " listener was stuck: the sink kept reading them into its heap");
            unstuck.countDown();
            await().atMost(Duration.ofSeconds(120)).until(() -> delivered.size() == MESSAGES);
            for (int i = 0; i < MESSAGES; i++) {
                assertEquals(i, delivered.get(i), "in order");
            }
            assertEquals(0, sink.status().failedAttempts(), "held back, not disconnected");
        }
    }
}
