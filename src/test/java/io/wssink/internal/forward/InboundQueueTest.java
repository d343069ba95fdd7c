package io.wssink.internal.forward;

import io.netty.channel.embedded.EmbeddedChannel;
import io.wssink.internal.transport.Connection;
import io.wssink.internal.transport.TestConnections;
import io.wssink.protocol.InboundMessage;
import io.wssink.protocol.Mode;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InboundQueueTest {
    private static InboundMessage message(int i, int size) {
        byte[] b = new byte[size];
        byte[] head = (i + ":").getBytes(StandardCharsets.UTF_8);
        System.arraycopy(head, 0, b, 0, head.length);
        return new InboundMessage(true, b);
    }

    @Test
    void aFullQueuePausesReadingUntilTheListenerWorksItDownToHalf() throws Exception {
        EmbeddedChannel ch = new EmbeddedChannel();
        Connection c = TestConnections.over(ch, Mode.ACK, null);
        CountDownLatch release = new CountDownLatch(1);
        List<String> delivered = new CopyOnWriteArrayList<>();
        InboundQueue queue = new InboundQueue(m -> {
            try {
                release.await(30, TimeUnit.SECONDS); // a listener busy with something else
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            delivered.add(m.text().substring(0, m.text().indexOf(':')));
        }, 10_000);
        try {
            for (int i = 0; i < 10; i++) {
                queue.offer(c, message(i, 1_000));
            }
            assertTrue(ch.config().isAutoRead(), "10,000 bytes queued: not over the bound");
            queue.offer(c, message(10, 1_000));
            assertFalse(ch.config().isAutoRead(), "over the bound: the socket is not read");
            release.countDown();
            await().atMost(Duration.ofSeconds(30)).until(() -> ch.config().isAutoRead());
            await().atMost(Duration.ofSeconds(30)).until(() -> delivered.size() == 11);
            assertEquals(IntStream.range(0, 11).mapToObj(Integer::toString).toList(), delivered, "in order");
            assertEquals(0, queue.queuedBytes());
        } finally {
            queue.close(1_000);
        }
    }

    @Test
    void aFailingListenerGetsTheNextMessageAllTheSame() {
        List<String> delivered = new CopyOnWriteArrayList<>();
        InboundQueue queue = new InboundQueue(m -> {
            if (m.text().startsWith("0:")) {
                throw new IllegalStateException("listener bug");
            }
            if (m.text().startsWith("1:")) {
                throw new AssertionError("an Error, which would have ended the thread");
            }
            delivered.add(m.text().substring(0, 2));
        }, 10_000);
        try {
            Connection c = TestConnections.over(new EmbeddedChannel(), Mode.ACK, null);
            queue.offer(c, message(0, 10));
            queue.offer(c, message(1, 10));
            queue.offer(c, message(2, 10));
            await().atMost(Duration.ofSeconds(30)).until(() -> delivered.equals(List.of("2:")));
        } finally {
            queue.close(1_000);
        }
    }
}
