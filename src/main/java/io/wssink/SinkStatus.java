package io.wssink;

import io.wssink.protocol.ConnectionState;
import io.wssink.protocol.Mode;
import io.wssink.spool.SpoolStats;

/**
 * A snapshot of a {@link WebSocketSink}.
 *
 * @param mode           the mode of the current or last connection (ACK or RAW), or null before the first
 * @param rawFallback    true once an auto-mode sink fell back to raw because the endpoint does not speak wssink.v1
 * @param url            the current or last endpoint, without credentials or query
 * @param failedAttempts connection attempts that failed since the sink started
 * @param protocolErrors acks that broke the protocol (malformed, past what was sent)
 * @param lastError      the last failure, in one line, or null
 */
public record SinkStatus(
        ConnectionState state,
        Mode mode,
        boolean rawFallback,
        String url,
        long connections,
        long failedAttempts,
        long protocolErrors,
        String lastError,
        SpoolStats spool) {
}
