package io.wssink.internal.transport;

import io.wssink.protocol.InboundMessage;
import io.wssink.protocol.Mode;

/**
 * What a connection reports, from Netty's event loop: implementations must return quickly and never block (hand the
 * work to another thread). For each connect attempt, {@link #closed} comes exactly once, last.
 */
public interface ConnectionEvents {
    /** The handshake succeeded; {@link Connection#mode()} is {@link Mode#ACK} or {@link Mode#RAW}. */
    void opened(Connection connection);

    /** A well-formed ack in ack mode; whether its id is acceptable is the caller's to judge. */
    void ack(Connection connection, long id);

    /** Raw mode: the frame carrying event {@code id}, and all before it, was written to the socket. */
    void written(Connection connection, long id);

    /**
     * An application message, in the order received. To hold back a receiver faster than its consumer, call
     * {@link Connection#pauseReading()} and later {@link Connection#resumeReading()}.
     */
    void message(Connection connection, InboundMessage message);

    /** The channel became writable or unwritable. */
    void writabilityChanged(Connection connection);

    /**
     * The attempt failed or the connection ended.
     *
     * @param failure why, or null after an orderly close by this side
     */
    void closed(Connection connection, Failure failure);
}
