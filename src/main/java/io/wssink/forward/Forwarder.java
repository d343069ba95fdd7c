package io.wssink.forward;

import io.netty.buffer.ByteBuf;
import io.wssink.spool.EventKind;
import io.wssink.spool.Spool;
import io.wssink.spool.SpoolReader;
import io.wssink.spool.SpoolRecord;
import io.wssink.transport.Backoff;
import io.wssink.transport.Connection;
import io.wssink.transport.ConnectionEvents;
import io.wssink.transport.InboundMessage;
import io.wssink.transport.Mode;
import io.wssink.transport.TransportConfig;
import io.wssink.transport.WireFormat;
import io.wssink.transport.WsClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Moves events from the spool to the endpoint, on a thread of its own: it reads the spool (the event loop never
 * waits on disk), packs records into frames while the channel is writable and in-flight bytes are under their bound,
 * applies acks to the spool's cursor, and reconnects forever with backoff. Netty's event loop only queues events
 * for it ({@link ConnectionEvents}) and wakes it.
 */
public final class Forwarder implements ConnectionEvents {
    private static final Logger log = LoggerFactory.getLogger(Forwarder.class);
    private static final long IDLE_PARK_NANOS = 5_000_000;
    private static final long RETAIN_EVERY_NANOS = 1_000_000_000;
    private static final int MAX_FRAMES_PER_TURN = 64;

    /** What the event loop tells the forwarder thread. */
    private sealed interface Event permits Opened, Ack, Written, Closed {
    }

    private record Opened(Connection connection) implements Event {
    }

    private record Ack(Connection connection, long id) implements Event {
    }

    private record Written(Connection connection, long id) implements Event {
    }

    private record Closed(Connection connection, String kind, String failure) implements Event {
    }

    private final Spool spool;
    private final SpoolReader reader;
    private final TransportConfig config;
    private final WsClient client;
    private final Consumer<InboundMessage> messages;
    private final Backoff backoff;
    private final FailureLog failures = new FailureLog(log);
    private final Queue<Event> events = new ConcurrentLinkedQueue<>();
    private final ConcurrentNavigableMap<Long, CompletableFuture<Void>> waiters = new ConcurrentSkipListMap<>();
    private final SpoolRecord record = new SpoolRecord();
    private final Thread thread;
    private final Status status = new Status();

    // forwarder thread only
    private Connection connection;
    /** Whether this thread has handled the connection's Opened event: the connection's own mode turns non-null
     * earlier, on the event loop, and sending before opened() ran would race with its resets. */
    private boolean open;
    private boolean pendingRecord;
    private long highestSent;
    private boolean firstAck;
    private long resumeDeadline;
    private long openedAt;
    private long attemptStartedAt;
    private long nextAttemptAt;
    private int urlIndex;
    private boolean offerSubprotocol = true;
    private long peerAck;
    private long lastRetain;
    private boolean loggedRawFallback;
    private String lastInternalError;

    /** Parked with an open connection and nothing to send: the one state in which a write must wake it. */
    private volatile boolean parkedForData;
    private volatile boolean stopping;
    private volatile long drainDeadline;

    public Forwarder(Spool spool, TransportConfig config, Consumer<InboundMessage> messages) {
        this.spool = spool;
        this.config = config;
        this.messages = messages;
        this.backoff = new Backoff(config.backoffInitial(), config.backoffMax(), config.backoffResetAfter());
        this.reader = spool.openReader();
        try {
            this.client = new WsClient(config, spool.streamId());
        } catch (RuntimeException e) {
            reader.close();
            throw e;
        }
        if (config.insecure()) {
            log.warn("TLS certificate and hostname verification are OFF (insecure): anyone on the path can read and"
                    + " forge this stream");
        }
        this.thread = new Thread(this::run, "wssink-forwarder");
        this.thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    public Status status() {
        return status;
    }

    /**
     * New events were appended: wakes the forwarder if it waits for data on an open connection. One volatile read
     * otherwise, cheap enough for every write; when there is no connection, nothing needs waking.
     */
    public void wake() {
        if (parkedForData) {
            LockSupport.unpark(thread);
        }
    }

    /** Completes once {@code id} is acknowledged (or, in raw mode, written to the socket). */
    public CompletableFuture<Void> acked(long id) {
        if (id == Spool.DROPPED) {
            return CompletableFuture.failedFuture(new IllegalArgumentException(
                    "the event was dropped (spool full, policy DROP_NEWEST): it will never be acknowledged"));
        }
        if (Long.compareUnsigned(id, spool.ackedId()) <= 0) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> f = waiters.computeIfAbsent(id, k -> new CompletableFuture<>());
        if (Long.compareUnsigned(id, spool.ackedId()) <= 0) {
            completeWaiters(spool.ackedId());
        }
        return f;
    }

    /**
     * Stops reading the spool, waits up to {@code drainMillis} for acks of what is in flight, closes the connection
     * with 1000 and releases the spool's reader. What was not acked stays in the spool for the next start.
     */
    public void close(long drainMillis) {
        drainDeadline = System.nanoTime() + drainMillis * 1_000_000;
        stopping = true;
        LockSupport.unpark(thread);
        try {
            thread.join(drainMillis + 10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        client.close();
        reader.close();
        status.state = io.wssink.SinkStatus.ConnectionState.CLOSED;
        waiters.values().forEach(f -> f.completeExceptionally(
                new IllegalStateException("the sink closed before this event was acknowledged; it stays spooled")));
    }

    private void run() {
        try {
            while (true) {
                try {
                    handleEvents();
                    applyDelivery();
                    if (stopping && drained()) {
                        break;
                    }
                    if (connection == null) {
                        if (stopping) {
                            break;
                        }
                        if (System.nanoTime() - nextAttemptAt >= 0) {
                            attempt();
                        }
                    } else if (!open) {
                        abandonIfStuck();
                    } else if (!stopping) {
                        send();
                        failbackIfDue();
                    }
                } catch (RuntimeException e) {
                    recover(e);
                }
                idle();
            }
            closeConnection();
        } catch (Throwable t) {
            log.error("forwarder stopped by an unexpected error; the spool keeps every event for the next start", t);
            status.lastError = "forwarder stopped: " + t;
        }
    }

    /**
     * An unexpected error in one turn (a bug, or the disk failing under the spool) must not end forwarding: drop the
     * connection, read again from the cursor, and try again after a backoff. What is spooled stays spooled.
     */
    private void recover(RuntimeException e) {
        String text = "internal error: " + e;
        status.lastError = text;
        status.failedAttempts++;
        if (!text.equals(lastInternalError)) { // once with its stack trace; repeats only counted
            lastInternalError = text;
            log.error("{}; reconnecting after a backoff, the spool keeps every event", text, e);
        }
        if (connection != null) {
            connection.close(1011, "internal error");
        }
        forgetConnection();
        backOff();
        try {
            reader.rewind();
        } catch (RuntimeException again) {
            log.error("cannot rewind the spool reader either; retrying after the backoff", again);
        }
    }

    private void idle() {
        long park = IDLE_PARK_NANOS;
        if (connection == null) {
            park = Math.min(park, Math.max(0, nextAttemptAt - System.nanoTime()));
        }
        if (park > 0 && events.isEmpty()) {
            parkedForData = open;
            if (events.isEmpty()) {
                LockSupport.parkNanos(this, park);
            }
            parkedForData = false;
        }
    }

    /**
     * An attempt reports its end through Netty (failure, timeout, close); should one ever neither open nor fail, it
     * is given up after the connect and handshake timeouts and two seconds more, so that forwarding never waits on
     * it for ever. Its late events, if any, are ignored (they name another connection).
     */
    private void abandonIfStuck() {
        long limit = config.connectTimeout().plus(config.handshakeTimeout()).toNanos() + 2_000_000_000L;
        if (System.nanoTime() - attemptStartedAt < limit) {
            return;
        }
        Connection stuck = connection;
        stuck.close(1001, "abandoned");
        closed("stuck", "the connection attempt neither opened nor failed in time; abandoned");
    }

    private void attempt() {
        attemptStartedAt = System.nanoTime();
        URI url = config.urls().get(urlIndex);
        boolean offer = config.mode() != Mode.RAW && offerSubprotocol;
        status.state = io.wssink.SinkStatus.ConnectionState.CONNECTING;
        status.url = TransportConfig.redact(url);
        connection = client.connect(url, offer, this);
    }

    private void handleEvents() {
        Event e;
        while ((e = events.poll()) != null) {
            if (e instanceof Opened o && o.connection() == connection) {
                opened();
            } else if (e instanceof Ack a && a.connection() == connection) {
                ack(a.id());
            } else if (e instanceof Written w) {
                // raw delivery: the frame is on the socket, whichever connection it went out on
                if (Long.compareUnsigned(w.id(), peerAck) > 0) {
                    peerAck = w.id();
                }
            } else if (e instanceof Closed c && c.connection() == connection) {
                closed(c.kind(), c.failure());
            }
        }
    }

    private void opened() {
        open = true;
        openedAt = System.nanoTime();
        highestSent = Spool.NONE;
        firstAck = true;
        resumeDeadline = openedAt + config.resumeAckWait().toNanos();
        long endedFailures = failures.success();
        Mode mode = connection.mode();
        status.state = io.wssink.SinkStatus.ConnectionState.CONNECTED;
        status.mode = mode;
        status.connections++;
        if (mode == Mode.RAW && config.mode() == Mode.AUTO) {
            status.rawFallback = true;
            if (!loggedRawFallback) {
                loggedRawFallback = true;
                log.warn("{} does not speak {}: fell back to raw mode (at-most-once across connection loss)",
                        status.url, WireFormat.SUBPROTOCOL);
            }
        }
        log.info("connected to {} in {} mode{}", status.url, mode.name().toLowerCase(java.util.Locale.ROOT),
                endedFailures == 0 ? "" : " after " + endedFailures + " failed attempts");
    }

    private void ack(long id) {
        if (firstAck) {
            firstAck = false;
            resumeDeadline = 0;
            // The resume ack: the highest id the receiver already holds, which may be past anything sent here.
            if (Long.compareUnsigned(id, reader.lastAppendedId()) > 0) {
                protocolError("resume ack " + Long.toUnsignedString(id) + " is past the last event in the spool "
                        + Long.toUnsignedString(reader.lastAppendedId()));
                return;
            }
            if (Long.compareUnsigned(id, reader.lastReadId()) > 0) {
                pendingRecord = false;
                reader.skipTo(id);
                completeWaiters(id);
                peerAck = id;
                return;
            }
        } else if (Long.compareUnsigned(id, highestSent) > 0) {
            protocolError("ack " + Long.toUnsignedString(id) + " is past the highest id sent on this connection "
                    + Long.toUnsignedString(highestSent));
            return;
        }
        if (Long.compareUnsigned(id, peerAck) > 0) {
            peerAck = id;
        }
    }

    private void protocolError(String problem) {
        status.protocolErrors++;
        status.lastError = "protocol error: " + problem;
        log.warn("{}: protocol error: {}; closing with 1002 and resending from the last ack", status.url, problem);
        connection.close(1002, "protocol error", "protocol error: " + problem);
    }

    private void closed(String kind, String failure) {
        long up = openedAt == 0 ? 0 : System.nanoTime() - openedAt;
        boolean offered = connection.offeredSubprotocol();
        forgetConnection();
        reader.rewind();
        if (stopping) {
            return;
        }
        if (failure == null) {
            // an orderly close from this side: failback to the first URL
            urlIndex = 0;
            nextAttemptAt = System.nanoTime();
            status.state = io.wssink.SinkStatus.ConnectionState.CONNECTING;
            return;
        }
        status.failedAttempts++;
        if ("protocol-error".equals(kind)) {
            status.protocolErrors++; // found by the handler: a malformed ack or frame
        }
        if ("no-subprotocol".equals(kind) && offered && config.mode() == Mode.AUTO) {
            offerSubprotocol = false; // try the same endpoint again at once, in raw mode
            nextAttemptAt = System.nanoTime();
            return;
        }
        offerSubprotocol = true;
        String text = "no-subprotocol".equals(kind) ? failure + "; mode is ack, which never falls back to raw" : failure;
        status.lastError = text;
        backoff.connectionEnded(up);
        long delay = backOff();
        failures.failure(kind == null ? "unknown" : kind, text, status.url, delay / 1_000_000);
        urlIndex = (urlIndex + 1) % config.urls().size();
    }

    /** The connection is over, whatever ended it: nothing is open, nothing read waits to be sent. */
    private void forgetConnection() {
        connection = null;
        open = false;
        openedAt = 0;
        pendingRecord = false;
    }

    /** Schedules the next attempt after the backoff's next delay; returns that delay. */
    private long backOff() {
        long delay = backoff.nextDelayNanos();
        nextAttemptAt = System.nanoTime() + delay;
        status.state = io.wssink.SinkStatus.ConnectionState.BACKING_OFF;
        return delay;
    }

    private void send() {
        if (resumeDeadline != 0) {
            if (connection.mode() == Mode.ACK && System.nanoTime() - resumeDeadline < 0) {
                return; // wait for the resume ack, so as not to resend what the receiver holds
            }
            resumeDeadline = 0;
        }
        boolean raw = connection.mode() == Mode.RAW;
        int frames = 0;
        ByteBuf frame = null;
        long lastInBatch = Spool.NONE;
        while (connection.isWritable() && frames < MAX_FRAMES_PER_TURN) {
            if (!pendingRecord) {
                if (reader.inFlightBytes() >= config.maxInFlightBytes() || !reader.next(record)) {
                    break;
                }
                pendingRecord = true;
            }
            int length = record.payloadLength();
            if (raw) {
                ByteBuf payload = connection.alloc().directBuffer(length).writeBytes(record.buffer(),
                        record.payloadOffset(), length);
                connection.sendRaw(record.kind() == EventKind.TEXT, payload, record.id(), false);
                frames++;
            } else {
                int need = WireFormat.RECORD_HEADER_BYTES + length;
                if (frame != null && frame.readableBytes() + need > config.maxFrameBytes()) {
                    connection.sendRecords(frame);
                    frame = null;
                    frames++;
                    continue;
                }
                if (frame == null) {
                    frame = connection.alloc().directBuffer(Math.max(need, Math.min(config.maxFrameBytes(), 16 << 10)));
                }
                WireFormat.writeRecord(frame, record.id(), record.buffer(), record.payloadOffset(), length);
            }
            highestSent = record.id();
            lastInBatch = record.id();
            pendingRecord = false;
        }
        if (frame != null) {
            connection.sendRecords(frame);
        }
        if (lastInBatch != Spool.NONE) {
            if (raw) {
                connection.markWritten(lastInBatch);
            }
            connection.flush();
        }
    }

    private void failbackIfDue() {
        if (urlIndex != 0 && openedAt != 0 && System.nanoTime() - openedAt >= config.failbackAfter().toNanos()) {
            log.info("{}: trying the first URL again after {} on a later one", status.url, config.failbackAfter());
            openedAt = 0;
            connection.close(1000, "failback");
        }
    }

    /** Moves the cursor to what the receiver acked (or raw mode wrote), completes waiters, frees whole files. */
    private void applyDelivery() {
        long target = peerAck;
        if (Long.compareUnsigned(target, reader.ackedId()) > 0 && Long.compareUnsigned(target, reader.lastReadId()) <= 0) {
            reader.ack(target);
            completeWaiters(target);
        }
        long now = System.nanoTime();
        if (now - lastRetain >= RETAIN_EVERY_NANOS) {
            lastRetain = now;
            reader.retain();
        }
    }

    private void completeWaiters(long upTo) {
        if (waiters.isEmpty()) {
            return;
        }
        var done = waiters.headMap(upTo, true);
        done.values().forEach(f -> f.complete(null));
        done.clear();
    }

    private boolean drained() {
        if (connection == null || !open) {
            return true;
        }
        if (pendingRecord) {
            send(); // already read: let it go out with the rest, to be acked
        }
        return Long.compareUnsigned(reader.ackedId(), highestSent) >= 0 || System.nanoTime() - drainDeadline >= 0;
    }

    private void closeConnection() {
        if (connection != null) {
            status.state = io.wssink.SinkStatus.ConnectionState.DRAINING;
            Connection c = connection;
            c.close(1000, "sink closing");
            long until = System.nanoTime() + 3_000_000_000L;
            while (connection != null && System.nanoTime() - until < 0) {
                handleEvents();
                LockSupport.parkNanos(this, 1_000_000);
            }
            applyDelivery();
        }
    }

    // ConnectionEvents, from the event loop: queue and wake

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
    public void message(InboundMessage message) {
        messages.accept(message);
    }

    @Override
    public void writabilityChanged(Connection c) {
        LockSupport.unpark(thread);
    }

    @Override
    public void closed(Connection c, String kind, String failure) {
        post(new Closed(c, kind, failure));
    }

    private void post(Event e) {
        events.add(e);
        LockSupport.unpark(thread);
    }

    /** Connection figures, written by the forwarder thread, read by anyone. */
    public static final class Status {
        public volatile io.wssink.SinkStatus.ConnectionState state = io.wssink.SinkStatus.ConnectionState.CONNECTING;
        public volatile Mode mode;
        public volatile boolean rawFallback;
        public volatile String url;
        public volatile long connections;
        public volatile long failedAttempts;
        public volatile long protocolErrors;
        public volatile String lastError;
    }
}
