package io.wssink.transport;

import java.util.Objects;

/**
 * Why a connection attempt failed or a connection ended, as the transport saw it.
 *
 * @param kind a stable category, to log each kind once and count the rest
 * @param code the HTTP status of a refused handshake, or the close status sent or received; 0 where neither applies
 * @param text one line fit for a log and for {@code status}: never a secret (no header values, no user info)
 */
public record Failure(Kind kind, int code, String text) {
    public Failure {
        Objects.requireNonNull(kind);
        Objects.requireNonNull(text);
    }

    public Failure(Kind kind, String text) {
        this(kind, 0, text);
    }

    /** The categories of failure, each logged once until a connection succeeds. */
    public enum Kind {
        /** The endpoint accepted the WebSocket but selected no subprotocol: it does not speak wssink.v1. */
        NO_SUBPROTOCOL,
        /** The handshake was answered with an HTTP status other than 101 ({@link #code()}). */
        HTTP_STATUS,
        /** The handshake failed otherwise (a malformed response). */
        HANDSHAKE,
        HANDSHAKE_TIMEOUT,
        CONNECT_TIMEOUT,
        /** Connection refused, or no route to the host. */
        REFUSED,
        UNKNOWN_HOST,
        TLS,
        /** The channel was closed under an operation. */
        CLOSED,
        /** An I/O error on an established connection. */
        IO,
        /** The TCP connection ended without a close frame. */
        DROPPED,
        /** Nothing arrived for a ping interval plus the ping timeout. */
        SILENT,
        /** The receiver sent a close frame ({@link #code()}). */
        CLOSED_BY_RECEIVER,
        /** This side closed with a status other than 1000 ({@link #code()}). */
        CLOSED_BY_SINK,
        UNEXPECTED_FRAME,
        /** The receiver sent a message larger than maxMessageBytes: closed with 1009. */
        MESSAGE_TOO_BIG,
        /** A malformed ack or frame from the receiver, or an ack outside the protocol's bounds: closed with 1002. */
        PROTOCOL_ERROR,
        /** An attempt that neither opened nor failed in time was abandoned. */
        STUCK,
        /** Anything else: {@link #text()} names the exception's class. */
        OTHER
    }
}
