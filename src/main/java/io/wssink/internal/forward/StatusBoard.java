package io.wssink.internal.forward;

import io.wssink.protocol.ConnectionState;
import io.wssink.protocol.Mode;

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

    /** Publishes the figures as they are now. A few times per connection, never per event. */
    void publish() {
        snapshot = build();
    }

    ForwarderStatus snapshot() {
        return snapshot;
    }

    private ForwarderStatus build() {
        return new ForwarderStatus(state, mode, rawFallback, url, connections, failedAttempts, protocolErrors,
                lastError);
    }
}
