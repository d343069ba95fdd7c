package io.wssink.internal.forward;

import io.wssink.internal.DaemonThreads;
import io.wssink.internal.transport.Connection;
import io.wssink.protocol.InboundMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Messages from the receiver on their way to the program's listener, on a thread of their own, in order. Bounded:
 * once more than {@code maxBytes} wait, the connection stops reading from its socket, and TCP holds the receiver
 * back until the listener has worked the queue down to half. A slow listener slows the receiver; it never grows the
 * heap (it did: the executor's queue took whatever the receiver sent). Nothing is dropped.
 *
 * <p>Memory: at most {@code maxBytes}, plus the messages Netty had already read when reading paused (one socket
 * read, and the message being aggregated), plus the kernel's socket buffer.
 *
 * <p>Threads: {@link #offer} runs on the event loop; the listener runs on this queue's thread, started by the first
 * message.
 */
final class InboundQueue {
    private static final Logger log = LoggerFactory.getLogger(InboundQueue.class);

    private record Item(Connection connection, InboundMessage message) {
    }

    /** Filled by the event loop, emptied by this queue's thread. */
    private final BlockingQueue<Item> queue = new LinkedBlockingQueue<>();
    private final Consumer<InboundMessage> listener;
    private final long maxBytes;
    /** Payload bytes queued and not yet handed to the listener: added by the event loop, taken by this thread. */
    private final AtomicLong queuedBytes = new AtomicLong();
    /** Started with the first message; a queue that never gets one has no thread. */
    private final Thread thread;
    private final AtomicBoolean started = new AtomicBoolean();
    /**
     * The connection whose reading this queue paused, or null. Set and cleared on that connection's event loop only
     * (the listener thread asks the event loop to resume), so a pause and a resume never race.
     */
    private volatile Connection paused;
    /** Set once by close(). */
    private volatile boolean closing;

    InboundQueue(Consumer<InboundMessage> listener, long maxBytes) {
        this.listener = listener;
        this.maxBytes = maxBytes;
        this.thread = DaemonThreads.newThread("wssink-messages", this::run);
    }

    /** Queues a message from {@code connection}; pauses its reading when the queue is full. Event loop. */
    void offer(Connection connection, InboundMessage message) {
        queue.add(new Item(connection, message));
        if (!started.get() && started.compareAndSet(false, true)) {
            thread.start(); // with the first message: most receivers send none, and 100 sinks had 100 idle threads
        }
        if (queuedBytes.addAndGet(message.data().length) > maxBytes && paused != connection) {
            paused = connection;
            connection.pauseReading();
        }
    }

    /** On the paused connection's event loop: resumes reading if the queue is still worked down to half. */
    private void resumeIfRoom(Connection p) {
        if (paused == p && queuedBytes.get() <= maxBytes / 2) {
            paused = null;
            p.resumeReading();
        }
    }

    /** Bytes waiting for the listener. */
    long queuedBytes() {
        return queuedBytes.get();
    }

    private void run() {
        while (!closing || !queue.isEmpty()) {
            Item item;
            try {
                item = queue.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return; // close() gave up waiting
            }
            if (item != null) {
                try {
                    listener.accept(item.message());
                } catch (Throwable e) { // an Error too: this thread must live, or reading stays paused for ever
                    log.warn("message listener failed; the next message is delivered all the same", e);
                }
                queuedBytes.addAndGet(-item.message().data().length);
            }
            // checked after every message and every empty poll: a pause set just after the queue emptied is undone
            Connection p = paused;
            if (p != null && queuedBytes.get() <= maxBytes / 2) {
                p.execute(() -> resumeIfRoom(p));
            }
        }
    }

    /** Delivers what is queued, for up to {@code waitMillis}, then stops the thread. */
    void close(long waitMillis) {
        closing = true;
        try {
            thread.join(waitMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        thread.interrupt();
    }
}
