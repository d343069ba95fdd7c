package io.wssink.internal.forward;

import io.wssink.protocol.ConnectionState;
import io.wssink.protocol.Mode;

import java.util.Objects;

/**
 * The forwarder's figures as it changes them, and the {@link ForwarderStatus} snapshot it last published.
 *
 * <p>Threads: the fields are the forwarder thread's (after it ended, the closing thread's); {@link #snapshot()} is
 * read by anyone.
 */
final class StatusBoard {
    ConnectionState state = ConnectionState.CONNECTING;
    Mode mode;
    boolean rawFallback;
    String url;
    long connections;
    long failedAttempts;
    long protocolErrors;
    String lastError;

    private volatile ForwarderStatus snapshot = build();

    /**
     * Publishes the figures as they are now, if they changed: the forwarder calls it after every turn, and a new
     * snapshot per turn was ~3 per event written (a turn to send it, one to go idle, one for its ack).
     */
    void publish() {
        ForwarderStatus now = snapshot;
        if (now.state() != state || now.mode() != mode || now.rawFallback() != rawFallback
                || !Objects.equals(now.url(), url) || now.connections() != connections
                || now.failedAttempts() != failedAttempts || now.protocolErrors() != protocolErrors
                || !Objects.equals(now.lastError(), lastError)) {
            snapshot = build();
        }
    }

    ForwarderStatus snapshot() {
        return snapshot;
    }

    private ForwarderStatus build() {
        return new ForwarderStatus(state, mode, rawFallback, url, connections, failedAttempts, protocolErrors,
                lastError);
    }
}
