package io.wssink.internal.forward;

import io.netty.channel.EventLoopGroup;
import io.wssink.internal.spool.EventKind;
import io.wssink.internal.spool.Spool;
import io.wssink.internal.spool.SpoolReader;
import io.wssink.internal.spool.SpoolRecord;
import io.wssink.internal.transport.Connection;
import io.wssink.internal.transport.Failure;
import io.wssink.internal.transport.FramePacker;
import io.wssink.internal.transport.TransportConfig;
import io.wssink.internal.transport.WsClient;
import io.wssink.protocol.ConnectionState;
import io.wssink.protocol.GapNotice;
import io.wssink.protocol.InboundMessage;
import io.wssink.protocol.Mode;
import io.wssink.spool.SpoolException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Moves events from the spool to the endpoint, on a {@link ForwarderRunner}'s thread (shared with other sinks): it
 * reads the spool (the event loop never waits on disk), packs records into frames while the channel is writable and
 * in-flight bytes are under their bound, applies acks to the spool's cursor, and reconnects for ever with backoff.
 * Netty's event loop only queues events for it in the {@link Inbox} and wakes it.
 *
 * <p>Its runner runs {@link #doWork()} turn after turn, and lets it idle only after a turn that did nothing; the
 * runner's thread parks once none of its forwarders has work. After the last turn (closing, drained), the thread
 * that called {@link #close} owns what the runner owned. The pieces:
 * {@link DeliveryTracker} (what was sent and acked), {@link Reconnector} (attempts, backoff, failback, status, with
 * {@link EndpointRotation} and {@link FailureLog}), {@link InboundQueue} (messages to the listener); frames are
 * packed by the transport's {@link FramePacker}.
 */
public final class Forwarder {
    private static final Logger log = LoggerFactory.getLogger(Forwarder.class);
    /** The longest park with nothing to do: the bound on noticing a failback or a stuck attempt late. */
    private static final long IDLE_PARK_NANOS = 5_000_000;
    private static final long RETAIN_EVERY_NANOS = 1_000_000_000;
    /** Frames per turn, so that the inbox (acks, closes) is drained between bursts. */
    private static final int MAX_FRAMES_PER_TURN = 64;
    /**
     * {@code acked(id)} waiters settled per turn; more wait for the next turns, after this one's sends. One ack
     * settled all it covered at once, with their dependent actions, on this thread: at 10k events/s and a receiver
     * that acks every 100 ms, ~1,000 futures (LatencyHarness registers one per event), and the events written
     * meanwhile waited for all of them before going out (p99 write to arrival 15.9 ms against 2.0 ms for a bare
     * client, benchmarks/README.md session 5). A slice as a turn's frames: the next send waits for 64 at most.
     */
    static final int MAX_SETTLED_PER_TURN = 64;
    /**
     * Raw mode's frames per turn: one per event, so 64 made a flush and an event-loop task every 64 events of 100 B.
     * The in-flight bound and the packer's batch bytes bound what a turn sends.
     */
    private static final int MAX_RAW_FRAMES_PER_TURN = 1024;
    /**
     * Bytes in flight on a new ack-mode connection until its resume ack comes (or {@link #resumeWindowUntil}). Sending
     * starts at once (spec section 3), but a receiver's resume ack is a round trip away, and whatever goes out before
     * it is resent in vain if the receiver already holds it: through a link cut every ~3,000 records, the last acks
     * of each connection were lost with it, and the next one resent ~1,000 records the receiver already held, a third
     * of what each connection carried (FlakyLinkBenchmark; 4 KiB measured as well as 16 KiB, 64 KiB worse). 4 KiB is
     * ~36 records of 100 B.
     */
    static final long RESUME_WINDOW_BYTES = 4 * 1024;
    /** Bounds of the time a new connection waits for its resume ack with {@link #RESUME_WINDOW_BYTES} in flight. */
    private static final long RESUME_WAIT_MIN_NANOS = 1_000_000;
    private static final long RESUME_WAIT_MAX_NANOS = 1_000_000_000;

    // set at construction, read by any thread
    private final Spool spool;
    /** Read and moved by the runner's thread only; closed by close() once the last turn has ended. */
    private final SpoolReader reader;
    private final TransportConfig config;
    private final WsClient client;
    private final ForwarderRunner runner;
    /** Completed by the runner's thread after the last turn: from then on close() owns the runner's fields. */
    private final CompletableFuture<Void> ended = new CompletableFuture<>();
    private final Inbox inbox;
    private final InboundQueue messages;
    private final DeliveryTracker delivery = new DeliveryTracker();
    private final StatusBoard status = new StatusBoard();
    /** Added to by any thread (rarely: a metrics binder), read by the forwarder thread at each record and ack. */
    private volatile AckObserver[] ackObservers = new AckObserver[0];
    /**
     * Events whose acknowledgement moved the cursor, acks and resume acks alike: written by the forwarder thread
     * only (one writer), read by any thread. Counted from the cursor, not from {@link #inFlight}: a resume ack that
     * skips ahead after a reconnect covers events this forwarder may never have timed (sent by an earlier process).
     */
    private volatile long ackedEvents;

    // the runner's thread only (then the closing thread, once ended is complete)
    private final Reconnector connections;
    private final SpoolRecord record = new SpoolRecord();
    /**
     * When each record in flight was written; kept only while someone observes acks, and kept across a reconnect:
     * a resume ack that skips ahead acknowledges what the closed connection sent.
     */
    private final InFlightTimes inFlight = new InFlightTimes();
    /** A record was read but did not fit the channel: it goes out first next time. */
    private boolean pendingRecord;
    /**
     * The pending record comes after records skipped on purpose, and the receiver takes gap notices: one goes out
     * before the record, saying the skipped ones came after {@code gapAfter} (docs/PROTOCOL.md, "Gap notices").
     */
    private boolean pendingGap;
    private long gapAfter;
    private long lastRetain;
    /** The cursor up to which waiters were last completed. */
    private long completedThrough;
    /** The last turn settled a whole slice of waiters: more may wait, and the next turn goes on with them. */
    private boolean settling;
    /** Turns taken; tests read it from acked() dependents, which run on this thread. */
    private long turns;
    private String lastInternalError;
    /** The loop is over: stopping, and drained or out of time. */
    private boolean finished;
    /** Idle after a turn that did nothing, until {@link #idleUntil} or a wake. */
    private boolean idling;
    private long idleUntil;
    /** Stopped by an error even recovery could not handle: no more turns; close() only releases. */
    private boolean failed;
    /**
     * Until then, or until the resume ack comes, a new ack-mode connection has at most {@link #RESUME_WINDOW_BYTES} in
     * flight: twice the time its opening took (a TCP connect and a handshake, about two round trips), so that a
     * receiver that sends no resume ack (it holds nothing for the stream: spec section 3) costs a new connection a few
     * round trips, not its ack interval. Set when a connection opens.
     */
    private long resumeWindowUntil;
    private boolean resumeWindow;

    /** Parked with an open connection and nothing to send: the one state in which a write must wake it. Any thread. */
    private volatile boolean parkedForData;
    /** Set by a write or an inbox event that needs a turn; cleared by the runner's thread before the turn. */
    private volatile boolean woken;
    /** Set once by close(); read by the forwarder thread. */
    private volatile boolean stopping;
    private volatile long drainDeadline;

    /**
     * @param listener receives the receiver's application messages, in order, on a thread of its own; a slow one
     *                 holds the receiver back (see {@link InboundQueue})
     */
    public Forwarder(Spool spool, TransportConfig config, Consumer<InboundMessage> listener) {
        this(spool, config, listener, null);
    }

    /**
     * @param group the event loop group to connect on, never shut down by the sink; null for the process-wide one
     */
    public Forwarder(Spool spool, TransportConfig config, Consumer<InboundMessage> listener, EventLoopGroup group) {
        this.spool = spool;
        this.config = config;
        this.runner = ForwarderRunner.leastLoaded();
        this.reader = spool.openReader(); // may be refused (another sender holds the spool): nothing started yet
        try {
            this.client = new WsClient(config, spool.streamId(), group);
        } catch (RuntimeException e) {
            reader.close();
            throw e;
        }
        this.messages = new InboundQueue(listener, 2L * config.maxMessageBytes()); // its thread starts with a message
        this.inbox = new Inbox(this::wakeForEvent, messages);
        this.connections = new Reconnector(log, config, client, inbox, status);
        if (config.insecure()) {
            log.warn("TLS certificate and hostname verification are OFF (insecure): anyone on the path can read and"
                    + " forge this stream");
        }
    }

    /** Hands the forwarder to its runner: its turns begin. */
    public void start() {
        runner.add(this);
    }

    public ForwarderStatus status() {
        return status.snapshot();
    }

    /**
     * Calls {@code observer} on the forwarder thread once for each event sent from now on that the peer acknowledges
     * (in raw mode: that was written to the socket), with the time it was written; it must return at once.
     */
    public synchronized void addAckObserver(AckObserver observer) {
        AckObserver[] now = ackObservers;
        AckObserver[] more = Arrays.copyOf(now, now.length + 1);
        more[now.length] = observer;
        ackObservers = more;
    }

    /**
     * Events whose acknowledgement moved the spool's cursor since this forwarder started (in raw mode: written to the
     * socket), including those a resume ack skipped ahead over. Any thread.
     */
    public long ackedEvents() {
        return ackedEvents;
    }

    /** Whether the forwarder still takes turns: false once closing, or after an error it could not recover from. */
    public boolean isAlive() {
        return !stopping && !ended.isDone();
    }

    /**
     * New events were appended: wakes the forwarder if it waits for data on an open connection. One volatile read
     * otherwise, cheap enough for every write; when there is no connection, nothing needs waking.
     */
    public void wake() {
        if (parkedForData) {
            wakeForEvent();
        }
    }

    /** An inbox event, a write that must be sent or close(): the next pass of the runner gives a turn. Any thread. */
    private void wakeForEvent() {
        woken = true;
        runner.unpark();
    }

    /** Completes once {@code id} is acknowledged (or, in raw mode, written to the socket). Any thread. */
    public CompletableFuture<Void> acked(long id) {
        if (id == Spool.DROPPED) {
            return CompletableFuture.failedFuture(new IllegalArgumentException(
                    "the event was dropped (spool full, policy DROP_NEWEST): it will never be acknowledged"));
        }
        try {
            spool.checkWillBeDelivered(id); // quarantined, expired or dropped: no ack will ever name it
        } catch (SpoolException e) {
            return CompletableFuture.failedFuture(e);
        }
        return delivery.waitFor(id, spool::ackedId, spool::checkWillBeDelivered);
    }

    /**
     * Stops reading the spool, waits up to {@code drainMillis} for acks of what is in flight, closes the connection
     * with 1000 and releases the spool's reader. What was not acked stays in the spool for the next start.
     */
    public void close(long drainMillis) {
        drainDeadline = System.nanoTime() + drainMillis * 1_000_000;
        stopping = true;
        wakeForEvent();
        boolean handedOver = false;
        if (runner.isRunnerThread()) {
            // from a dependent action of acked() that ran on this runner: waiting for the last turn would wait for
            // this very thread. This thread owns the forwarder's fields: end its turns here, without draining.
            log.warn("a sink was closed on a forwarder thread (a dependent action of acked()?); its connection is"
                    + " closed without waiting for acks; use the *Async variants to close from there");
            failed = true;
            finished = true;
            runner.remove(this);
            ended.complete(null);
        } else {
            try {
                ended.get(drainMillis + 10_000, TimeUnit.MILLISECONDS);
                handedOver = true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                log.error("the forwarder did not finish its last turn in time; closing its connection anyway");
            }
        }
        if (handedOver && !failed) {
            try {
                closeConnection(); // the runner is done with this forwarder: this thread owns its fields now
            } catch (RuntimeException e) {
                log.warn("closing the connection failed; its channel is closed without a close frame", e);
            }
        }
        client.close();
        reader.close();
        messages.close(5_000);
        status.state = ConnectionState.CLOSED;
        status.publish();
        delivery.failAll(new IllegalStateException(
                "the sink closed before this event was acknowledged; it stays spooled"), spool::checkWillBeDelivered);
    }

    /**
     * The runner's pass: a turn if this forwarder is due (woken, or its idle time is up). Runner thread.
     *
     * @return whether the turn did work
     */
    boolean turnIfDue(long now) {
        if (idling) {
            if (!woken && now - idleUntil < 0) {
                return false;
            }
            idling = false;
            parkedForData = false;
        }
        woken = false;
        turns++;
        int work = 0;
        try {
            try {
                work = doWork();
            } catch (RuntimeException | Error e) { // an Error too (out of direct memory, a linkage error): a
                recover(e);                         // forwarder that ends leaves writes spooled and acks waiting
            }
            status.publish();
            if (!finished && work == 0) {
                idle(now);
            }
        } catch (Throwable t) {
            log.error("forwarder stopped by an unexpected error; the spool keeps every event for the next start", t);
            status.lastError = "forwarder stopped: " + t;
            status.publish();
            failed = true;
            finished = true;
        }
        if (finished) {
            runner.remove(this);
            ended.complete(null);
        }
        return work > 0;
    }

    /** Turns taken so far. Runner thread (a dependent action of {@link #acked} runs there). */
    long turns() {
        return turns;
    }

    /** The highest id sent on the current connection. Runner thread (as {@link #turns()}). */
    long highestSent() {
        return delivery.highestSent();
    }

    /** Until its next turn is due, without a wake: 0 when it is due now. Runner thread. */
    long nanosUntilDue(long now) {
        return idling ? Math.max(0, idleUntil - now) : finished ? Long.MAX_VALUE : 0;
    }

    /**
     * One turn: the inbox first, then the cursor, then whatever the connection's state calls for.
     *
     * @return the work done: events handled, acks applied, records sent, attempts started; 0 when there was none
     */
    int doWork() {
        int work = drainInbox() + applyDelivery(MAX_SETTLED_PER_TURN);
        long now = System.nanoTime();
        if (stopping) {
            finished = drained();
        } else if (connections.connection() == null) {
            work += connections.attemptIfDue(now) ? 1 : 0;
        } else if (!connections.isOpen()) {
            Failure stuck = connections.stuck(now);
            if (stuck != null) {
                onClosed(stuck);
            }
        } else {
            work += send();
            connections.failbackIfDue(now);
        }
        return work;
    }

    /**
     * An unexpected error in one turn (a bug, or the disk failing under the spool) must not end forwarding: drop the
     * connection, read again from the cursor, and try again after a backoff. What is spooled stays spooled.
     */
    private void recover(Throwable e) {
        String text = "internal error: " + e;
        if (!text.equals(lastInternalError)) { // once with its stack trace; repeats only counted
            lastInternalError = text;
            log.error("{}; reconnecting after a backoff, the spool keeps every event", text, e);
        }
        Connection dropped = connections.connection();
        if (dropped != null) {
            dropped.packer().discard(); // a frame the failed turn left open
        }
        connections.internalError(text);
        pendingRecord = false;
        resumeWindow = false;
        inFlight.clear();
        try {
            reader.rewind();
        } catch (RuntimeException again) {
            log.error("cannot rewind the spool reader either; retrying after the backoff", again);
        }
    }

    /** After a turn that did nothing: idle until a wake or, at the longest, the next attempt or failback check. */
    private void idle(long now) {
        long park = IDLE_PARK_NANOS;
        if (connections.connection() == null) {
            park = Math.min(park, connections.nanosUntilDue(now));
        } else if (resumeWindow && connections.isOpen()) {
            park = Math.min(park, Math.max(0, resumeWindowUntil - now));
        }
        if (park > 0 && inbox.isEmpty()) {
            parkedForData = connections.isOpen();
            // checked again after the flag is up: an append that came before it saw no reason to wake us. With the
            // window full there is nothing to send whatever was appended: an ack wakes us (this spun a core). On
            // the reader's own tailer: lastAppendedId() > lastReadId() here made, read and released a Chronicle
            // tailer at each idle (a stat of the cycle file, its header parsed, the release handed to Chronicle's
            // background releaser thread), once or twice per event at 10k events/s (LatencyHarness)
            boolean appendedMeanwhile = parkedForData && !pendingRecord
                    && reader.inFlightBytes() < inFlightLimit(now)
                    && reader.hasNext();
            if (inbox.isEmpty() && !appendedMeanwhile) {
                idling = true;
                idleUntil = now + park;
            } else {
                parkedForData = false;
            }
        }
    }

    private int drainInbox() {
        int handled = 0;
        Inbox.Event e;
        while ((e = inbox.poll()) != null) {
            handled++;
            if (e instanceof Inbox.Written w) {
                delivery.onWritten(w.id()); // raw delivery: on the socket, whichever connection it went out on
            } else if (e.connection() != connections.connection()) {
                continue; // a late event of a connection already forgotten
            } else if (e instanceof Inbox.Opened) {
                onOpened();
            } else if (e instanceof Inbox.Ack a) {
                onAck(a.id());
            } else if (e instanceof Inbox.Closed c) {
                onClosed(c.failure());
            }
        }
        return handled;
    }

    private void onOpened() {
        delivery.opened();
        connections.onOpened(delivery.peerAck());
        resumeWindow = connections.connection().mode() == Mode.ACK;
        resumeWindowUntil = System.nanoTime() + Math.min(RESUME_WAIT_MAX_NANOS,
                Math.max(RESUME_WAIT_MIN_NANOS, 2 * connections.openingNanos()));
    }

    /** The bytes that may be in flight now: the whole window, or the resume window of a new connection. */
    private long inFlightLimit(long now) {
        if (resumeWindow) {
            if (delivery.awaitingResumeAck() && now - resumeWindowUntil < 0) {
                return Math.min(RESUME_WINDOW_BYTES, config.maxInFlightBytes());
            }
            resumeWindow = false;
        }
        return config.maxInFlightBytes();
    }

    private void onAck(long id) {
        // the last id appended bounds the resume ack alone; finding it costs a Chronicle tailer, not to be paid per ack
        long lastAppended = delivery.awaitingResumeAck() ? reader.lastAppendedId() : Spool.NONE;
        switch (delivery.onAck(id, lastAppended, reader.lastReadId())) {
            case ACCEPTED -> { }
            case SKIP_AHEAD -> {
                pendingRecord = false;
                ackedEvents += reader.skipTo(id); // one writer: this thread; the next turn times what inFlight knows
                // its waiters are settled by applyDelivery, after the inbox, in slices as an ack's
            }
            case BEYOND_SPOOL -> protocolError("resume ack " + Long.toUnsignedString(id)
                    + " is past the last event in the spool " + Long.toUnsignedString(reader.lastAppendedId()));
            case BEYOND_SENT -> protocolError("ack " + Long.toUnsignedString(id)
                    + " is past the highest id sent on this connection "
                    + Long.toUnsignedString(delivery.highestSent()));
        }
    }

    /**
     * Closes with 1002; counted and logged (once per kind, by the FailureLog) when the connection's end is reported,
     * like a protocol error the handler finds.
     */
    private void protocolError(String problem) {
        connections.connection().close(1002, "protocol error", new Failure(Failure.Kind.PROTOCOL_ERROR, 1002,
                "protocol error: " + problem + "; closed with 1002, resending from the last ack"));
    }

    private void onClosed(Failure failure) {
        connections.onClosed(failure, delivery.peerAck(), stopping);
        pendingRecord = false;
        resumeWindow = false; // else, left set, it kept the next attempt's idle park at 0: a spinning runner
        // inFlight is kept: the next connection's resume ack may acknowledge what this one sent (SKIP_AHEAD), and
        // clearing it left those events out of the ack observers (acked_total stayed below what was delivered)
        reader.rewind();
    }

    /** Sends what the channel and the in-flight bound allow, at most a turn's frames. Returns the records sent. */
    private int send() {
        Connection connection = connections.connection();
        FramePacker packer = connection.packer();
        int sent = 0;
        long limit = inFlightLimit(System.nanoTime());
        int maxFrames = connection.mode() == Mode.RAW ? MAX_RAW_FRAMES_PER_TURN : MAX_FRAMES_PER_TURN;
        while (connection.isWritable() && packer.framesSent() < maxFrames) {
            if (!pendingRecord) {
                if (reader.inFlightBytes() >= limit || !reader.next(record)) {
                    break;
                }
                pendingRecord = true;
                pendingGap = reader.gapBefore() && connection.mode() == Mode.ACK && connection.gapNotices();
                gapAfter = reader.gapAfter();
            }
            if (packPending(packer)) {
                sent++;
            } // else a full frame went out instead: the channel may have no room left
        }
        packer.finish();
        return sent;
    }

    /** Offers the record read to the packer; true once it is packed, false if a full frame went out instead. */
    private boolean packPending(FramePacker packer) {
        if (pendingGap) {
            packer.finish(); // the records before the gap go out before the notice
            connections.connection().sendGapNotice(new GapNotice(gapAfter, record.id()));
            pendingGap = false;
        }
        if (!packer.pack(record.id(), record.kind() == EventKind.TEXT, record.buffer(), record.payloadOffset(),
                record.payloadLength())) {
            return false;
        }
        delivery.sent(record.id());
        if (ackObservers.length > 0) {
            inFlight.add(record.id(), record.timestampMillis());
        }
        pendingRecord = false;
        return true;
    }

    /**
     * Moves the cursor to what the receiver acked (or raw mode wrote), completes up to {@code maxSettled} waiters,
     * frees whole files.
     */
    private int applyDelivery(int maxSettled) {
        int work = 0;
        long target = delivery.peerAck();
        if (!inFlight.isEmpty()) {
            inFlight.ackThrough(target, System.currentTimeMillis(), ackObservers);
        }
        if (Long.compareUnsigned(target, reader.ackedId()) > 0
                && Long.compareUnsigned(target, reader.lastReadId()) <= 0) {
            ackedEvents += reader.ack(target); // one writer: this thread
            work++;
        }
        long now = System.nanoTime();
        if (now - lastRetain >= RETAIN_EVERY_NANOS) {
            lastRetain = now;
            reader.retain();
        }
        // The cursor also moves without an ack: over skipped records at the tail, and over what DROP_OLDEST dropped.
        long cursor = reader.ackedId();
        if (cursor != completedThrough || settling) {
            completedThrough = cursor;
            int settled = delivery.complete(cursor, spool::checkWillBeDelivered, maxSettled);
            settling = settled == maxSettled;
            work += settled; // a turn that settled some is no idle one: the runner comes back for the rest
        }
        return work;
    }

    /**
     * Closing: reads nothing more from the spool (spec section 6), lets the one record already read go out, and
     * waits for acks of what is in flight until they come or the drain time is up.
     */
    private boolean drained() {
        Connection connection = connections.connection();
        if (connection == null || !connections.isOpen()) {
            return true;
        }
        status.state = ConnectionState.DRAINING;
        if (pendingRecord && connection.isWritable()) {
            FramePacker packer = connection.packer();
            if (!packPending(packer)) {
                packPending(packer); // into a fresh frame
            }
            packer.finish();
        }
        return Long.compareUnsigned(reader.ackedId(), delivery.highestSent()) >= 0
                || System.nanoTime() - drainDeadline >= 0;
    }

    private void closeConnection() {
        if (connections.connection() != null) {
            status.state = ConnectionState.DRAINING;
            status.publish();
            connections.connection().close(1000, "sink closing");
            long until = System.nanoTime() + 3_000_000_000L;
            while (connections.connection() != null && System.nanoTime() - until < 0) {
                drainInbox();
                LockSupport.parkNanos(this, 1_000_000);
            }
            applyDelivery(Integer.MAX_VALUE); // the last: every waiter its acks covered, before close() fails the rest
        }
    }
}
