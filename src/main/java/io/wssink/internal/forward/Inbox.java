package io.wssink.internal.forward;

import io.wssink.internal.transport.Connection;
import io.wssink.internal.transport.ConnectionEvents;
import io.wssink.internal.transport.Failure;
import io.wssink.protocol.InboundMessage;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Where Netty's event loop leaves what happened to a connection for the forwarder thread: each callback queues an
 * event and wakes the forwarder, and returns at once (the event loop never waits for the forwarder or the disk).
 * Application messages go straight to the {@link InboundQueue}, which hands them to the listener's own thread.
 *
 * <p>Threads: the event loop calls the {@link ConnectionEvents} methods; the forwarder thread polls.
 */
final class Inbox implements ConnectionEvents {
    /** What the event loop tells the forwarder thread. */
    sealed interface Event permits Opened, Ack, Written, Closed {
        Connection connection();
    }

    record Opened(Connection connection) implements Event {
    }

    record Ack(Connection connection, long id) implements Event {
    }

    record Written(Connection connection, long id) implements Event {
    }

    record Closed(Connection connection, Failure failure) implements Event {
    }

    /** Added to by the event loop, polled by the forwarder thread. */
    private final Queue<Event> events = new ConcurrentLinkedQueue<>();
    /** Set at construction; called on the event loop. */
    private final Runnable wake;
    private final InboundQueue messages;

    /**
     * @param wake     wakes the forwarder thread; called after every event and every change of writability
     * @param messages receives application messages
     */
    Inbox(Runnable wake, InboundQueue messages) {
        this.wake = wake;
        this.messages = messages;
    }

    /** The oldest event not yet taken, or null. Forwarder thread. */
    Event poll() {
        return events.poll();
    }

    boolean isEmpty() {
        return events.isEmpty();
    }

    @Override
    public void opened(Connection c) {
        post(new Opened(c));
    }

    @Override
    public void ack(Connection c, long id) {
        post(new Ack(c, id));
    }

    @Override
    public void written(Connection c, long id) {
        post(new Written(c, id));
    }

    @Override
    public void message(Connection c, InboundMessage message) {
        messages.offer(c, message);
    }

    @Override
    public void writabilityChanged(Connection c) {
        wake.run();
    }

    @Override
    public void closed(Connection c, Failure failure) {
        post(new Closed(c, failure));
    }

    private void post(Event e) {
        events.add(e);
        wake.run();
    }
}
