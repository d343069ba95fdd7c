package io.wssink.internal.forward;

import io.wssink.protocol.Mode;

import java.net.URI;
import java.util.List;

/**
 * Which endpoint to try next, when, and whether to offer wssink.v1: the configured URLs in order, moving on after a
 * failure; back to the first after an orderly close, or after {@code failbackAfter} on a later one; in auto mode,
 * an endpoint that selected no subprotocol is tried again at once without the offer (raw mode).
 *
 * <p>Netty-free. Forwarder thread only. Times are {@link System#nanoTime()} values passed in by the caller.
 */
final class EndpointRotation {
    private final List<URI> urls;
    private final Mode mode;
    private final long failbackAfterNanos;

    // forwarder thread only
    /** Index into urls of the endpoint to try, or being tried. */
    private int index;
    /** False only between an auto-mode endpoint selecting no subprotocol and the next move to another endpoint. */
    private boolean offerSubprotocol = true;
    /** No attempt before this nanoTime. */
    private long nextAttemptAt;

    EndpointRotation(List<URI> urls, Mode mode, long failbackAfterNanos, long now) {
        this.urls = List.copyOf(urls);
        this.mode = mode;
        this.failbackAfterNanos = failbackAfterNanos;
        this.nextAttemptAt = now;
    }

    URI url() {
        return urls.get(index);
    }

    /** Whether the next attempt offers wssink.v1. */
    boolean offerSubprotocol() {
        return mode != Mode.RAW && offerSubprotocol;
    }

    boolean due(long now) {
        return now - nextAttemptAt >= 0;
    }

    /** Nanoseconds until the next attempt is due, 0 if it is. */
    long nanosUntilDue(long now) {
        return Math.max(0, nextAttemptAt - now);
    }

    /** The next attempt waits until {@code at}. */
    void notBefore(long at) {
        nextAttemptAt = at;
    }

    /**
     * This side closed the connection in order (failback, or a drain): the first endpoint, at once, offering
     * wssink.v1 again (a later endpoint's raw fallback says nothing about the first).
     */
    void closedInOrder(long now) {
        index = 0;
        offerSubprotocol = true;
        nextAttemptAt = now;
    }

    /**
     * The endpoint accepted the WebSocket but selected no subprotocol.
     *
     * @return true when it is to be tried again at once, in raw mode (auto mode, after an offer); false when that
     *         is a failure like any other
     */
    boolean noSubprotocol(boolean offered, long now) {
        if (offered && mode == Mode.AUTO) {
            offerSubprotocol = false;
            nextAttemptAt = now;
            return true;
        }
        return false;
    }

    /** The attempt or connection failed: the next endpoint, offering wssink.v1 again. */
    void failed() {
        offerSubprotocol = true;
        index = (index + 1) % urls.size();
    }

    /** Whether a connection opened at {@code openedAt} on a later endpoint has been up long enough to fail back. */
    boolean failbackDue(long openedAt, long now) {
        return index != 0 && now - openedAt >= failbackAfterNanos;
    }
}
