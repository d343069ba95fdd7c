package io.wssink.forward;

import io.wssink.protocol.InboundMessage;
import io.wssink.transport.Failure;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InboxTest {
    private final AtomicInteger wakes = new AtomicInteger();
    private final List<InboundMessage> messages = new ArrayList<>();
    private final Inbox inbox = new Inbox(wakes::incrementAndGet, messages::add);

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
    void messagesGoStraightToTheirConsumerAndWritabilityOnlyWakes() {
        InboundMessage m = new InboundMessage(true, new byte[] {'x'});
        inbox.message(m);
        assertEquals(List.of(m), messages);
        inbox.writabilityChanged(null);
        assertEquals(1, wakes.get());
        assertTrue(inbox.isEmpty());
    }
}
