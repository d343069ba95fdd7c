package io.wssink.internal.forward;

import io.wssink.internal.transport.Failure;
import io.wssink.protocol.InboundMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InboxTest {
    private final AtomicInteger wakes = new AtomicInteger();
    private final List<InboundMessage> messages = new CopyOnWriteArrayList<>();
    private final InboundQueue queue = new InboundQueue(messages::add, 1 << 20);
    private final Inbox inbox = new Inbox(wakes::incrementAndGet, queue);

    @AfterEach
    void stopQueue() {
        queue.close(1_000);
    }

    @Test
    void eventsComeOutInOrderAndEachWakesTheForwarder() {
        Failure f = new Failure(Failure.Kind.DROPPED, "dropped");
        inbox.opened(null);
        inbox.ack(null, 5);
        inbox.written(null, 6);
        inbox.closed(null, f);
        assertEquals(4, wakes.get());
        assertInstanceOf(Inbox.Opened.class, inbox.poll());
        assertEquals(5, assertInstanceOf(Inbox.Ack.class, inbox.poll()).id());
        assertEquals(6, assertInstanceOf(Inbox.Written.class, inbox.poll()).id());
        assertSame(f, assertInstanceOf(Inbox.Closed.class, inbox.poll()).failure());
        assertNull(inbox.poll());
        assertTrue(inbox.isEmpty());
    }

    @Test
    void messagesGoToTheQueueAndWritabilityOnlyWakes() {
        InboundMessage m = new InboundMessage(true, new byte[] {'x'});
        inbox.message(null, m);
        await().atMost(Duration.ofSeconds(10)).until(() -> messages.equals(List.of(m)));
        inbox.writabilityChanged(null);
        assertEquals(1, wakes.get());
        assertTrue(inbox.isEmpty());
    }
}
