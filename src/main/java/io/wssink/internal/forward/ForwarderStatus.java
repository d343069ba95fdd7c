package io.wssink.internal.forward;

import io.wssink.protocol.ConnectionState;
import io.wssink.protocol.Mode;

/**
 * An immutable snapshot of a forwarder's connection figures; the forwarder thread publishes a new one after every
 * change, and anyone reads the latest.
 *
 * @param mode           the mode of the current or last connection, or null before the first
 * @param rawFallback    true once an auto-mode forwarder fell back to raw because the endpoint does not speak wssink.v1
 * @param url            the current or last endpoint, without credentials or query
 * @param connections    connections opened
 * @param failedAttempts connection attempts and connections that failed
 * @param protocolErrors acks or frames from the peer that broke the protocol
 * @param lastError      the last failure, in one line, or null
 */
public record ForwarderStatus(
        ConnectionState state,
        Mode mode,
        boolean rawFallback,
        String url,
        long connections,
        long failedAttempts,
        long protocolErrors,
        String lastError) {
}
