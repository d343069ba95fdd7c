package io.wssink.internal.forward;

import io.wssink.internal.transport.Backoff;
import io.wssink.internal.transport.Connection;
import io.wssink.internal.transport.ConnectionEvents;
import io.wssink.internal.transport.Failure;
import io.wssink.internal.transport.TransportConfig;
import io.wssink.internal.transport.WsClient;
import io.wssink.protocol.ConnectionState;
import io.wssink.protocol.Mode;
import io.wssink.protocol.WireFormat;
import org.slf4j.Logger;

import java.util.Locale;

/**
 * Keeps the forwarder connected: starts attempts when they are due, learns of opens and ends, backs off after
 * failures (not after progress), fails back to the first endpoint, abandons an attempt stuck for ever, and keeps
 * the connection figures of the {@link StatusBoard} and the {@link FailureLog}. It decides nothing about events.
 *
 * <p>Forwarder thread only.
 */
final class Reconnector {
    private final Logger log;
    private final TransportConfig config;
    private final WsClient client;
    private final ConnectionEvents events;
    private final StatusBoard status;
    private final Backoff backoff;
    private final EndpointRotation endpoints;
    private final FailureLog failures;

    /** The current attempt or connection, null between them. */
    private Connection connection;
    /** Whether the connection's Opened event was handled: the connection's own mode turns non-null earlier, on
     * the event loop, and sending before that would race with the forwarder's resets. */
    private boolean open;
    private long openedAt;
    /** The peer's ack when the connection opened: a connection that moved it made progress. */
    private long peerAckAtOpen;
    private long attemptStartedAt;
    private boolean loggedRawFallback;

    Reconnector(Logger log, TransportConfig config, WsClient client, ConnectionEvents events, StatusBoard status) {
        this.log = log;
        this.config = config;
        this.client = client;
        this.events = events;
        this.status = status;
        this.backoff = new Backoff(config.backoffInitial(), config.backoffMax(), config.backoffResetAfter());
        this.endpoints = new EndpointRotation(config.urls(), config.mode(), config.failbackAfter().toNanos(),
                System.nanoTime());
        this.failures = new FailureLog(log);
    }

    /** The current attempt or connection, or null. */
    Connection connection() {
        return connection;
    }

    /** Whether the connection is open and its opening handled: the one state in which records may be sent. */
    boolean isOpen() {
        return open;
    }

    /**
     * How long the open connection took from the start of its attempt to its opening: a TCP connect and a WebSocket
     * handshake, about two round trips. 0 when none is open.
     */
    long openingNanos() {
        return open ? openedAt - attemptStartedAt : 0;
    }

    /** Nanoseconds until the next attempt is due, 0 if it is. */
    long nanosUntilDue(long now) {
        return endpoints.nanosUntilDue(now);
    }

    /** Starts an attempt if none is under way and one is due. Returns whether it did. */
    boolean attemptIfDue(long now) {
        if (connection != null || !endpoints.due(now)) {
            return false;
        }
        attemptStartedAt = now;
        status.state = ConnectionState.CONNECTING;
        status.url = TransportConfig.redact(endpoints.url());
        connection = client.connect(endpoints.url(), endpoints.offerSubprotocol(), events);
        return true;
    }

    /** The connection opened; {@code peerAck} is the delivery's ack now. */
    void onOpened(long peerAck) {
        open = true;
        openedAt = System.nanoTime();
        peerAckAtOpen = peerAck;
        Mode mode = connection.mode();
        long endedFailures = failures.success();
        status.state = ConnectionState.CONNECTED;
        status.mode = mode;
        status.connections++;
        if (mode == Mode.RAW && config.mode() == Mode.AUTO) {
            status.rawFallback = true;
            if (!loggedRawFallback) {
                loggedRawFallback = true;
                log.warn("{} does not speak {}: fell back to raw mode (across connection loss, events can be lost"
                        + " or repeated)", status.url, WireFormat.SUBPROTOCOL);
            }
        }
        log.info("connected to {} in {} mode{}", status.url, mode.name().toLowerCase(Locale.ROOT),
                endedFailures == 0 ? "" : " after " + endedFailures + " failed attempts");
    }

    /**
     * The connection ended, or the attempt failed ({@code failure} is null after an orderly close by this side).
     * {@code peerAck} is the delivery's ack now; while stopping, nothing more is attempted.
     */
    void onClosed(Failure failure, long peerAck, boolean stopping) {
        long up = openedAt == 0 ? 0 : System.nanoTime() - openedAt;
        boolean progressed = madeProgress(open && Long.compareUnsigned(peerAck, peerAckAtOpen) > 0,
                connection.mode(), connection.heardFromPeer());
        boolean offered = connection.offeredSubprotocol();
        forget();
        long now = System.nanoTime();
        if (stopping) {
            return;
        }
        if (failure == null) { // an orderly close from this side: failback to the first URL
            endpoints.closedInOrder(now);
            status.state = ConnectionState.CONNECTING;
            return;
        }
        status.failedAttempts++;
        if (failure.kind() == Failure.Kind.PROTOCOL_ERROR) {
            status.protocolErrors++;
        }
        if (failure.kind() == Failure.Kind.NO_SUBPROTOCOL && endpoints.noSubprotocol(offered, now)) {
            return; // the same endpoint again at once, in raw mode
        }
        String text = failure.kind() == Failure.Kind.NO_SUBPROTOCOL
                ? failure.text() + "; mode is ack, which never falls back to raw" : failure.text();
        status.lastError = text;
        backoff.connectionEnded(up, progressed);
        long delay = backOff();
        failures.failure(failure, text, status.url, delay / 1_000_000);
        endpoints.failed();
    }

    /**
     * Whether a connection made progress, which resets the backoff: in ack mode, acks that moved the cursor; in raw
     * mode, events put on the socket of a peer that showed it reads (a pong or any frame), since an endpoint that
     * accepts and drops at once still takes a batch into its socket buffer before the drop is seen.
     */
    static boolean madeProgress(boolean deliveryMoved, Mode mode, boolean heardFromPeer) {
        return deliveryMoved && (mode != Mode.RAW || heardFromPeer);
    }

    /**
     * An attempt reports its end through Netty (failure, timeout, close); should one ever neither open nor fail, it
     * is given up after the connect and handshake timeouts and two seconds more, so that forwarding never waits on
     * it for ever. Its late events, if any, are ignored (they name another connection).
     *
     * @return the failure to handle as the attempt's end, or null while it may still report
     */
    Failure stuck(long now) {
        long limit = config.connectTimeout().plus(config.handshakeTimeout()).toNanos() + 2_000_000_000L;
        if (open || connection == null || now - attemptStartedAt < limit) {
            return null;
        }
        connection.close(1001, "abandoned");
        return new Failure(Failure.Kind.STUCK, "the connection attempt neither opened nor failed in time; abandoned");
    }

    /** On a later endpoint for {@code failbackAfter}: closes in order, so that the first is tried again. */
    void failbackIfDue(long now) {
        if (open && openedAt != 0 && endpoints.failbackDue(openedAt, now)) {
            log.info("{}: trying the first URL again after {} on a later one", status.url, config.failbackAfter());
            openedAt = 0;
            connection.close(1000, "failback");
        }
    }

    /** An error of the forwarder's own: drops the connection and backs off. */
    void internalError(String text) {
        status.lastError = text;
        status.failedAttempts++;
        if (connection != null) {
            connection.close(1011, "internal error");
        }
        forget();
        backOff();
    }

    /** The connection is over, whatever ended it. */
    private void forget() {
        connection = null;
        open = false;
        openedAt = 0;
    }

    /** Schedules the next attempt after the backoff's next delay; returns that delay. */
    private long backOff() {
        long delay = backoff.nextDelayNanos();
        endpoints.notBefore(System.nanoTime() + delay);
        status.state = ConnectionState.BACKING_OFF;
        return delay;
    }
}
