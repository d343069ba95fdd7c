package io.wssink.internal.transport;

import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;
import io.netty.handler.proxy.ProxyConnectException;
import io.wssink.internal.PeerText;
import io.wssink.protocol.WireFormat;

import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.nio.channels.ClosedChannelException;
import java.util.Objects;
import javax.net.ssl.SSLException;

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

    /** What an exception from Netty means for the connection, in one line. Never holds secrets. */
    public static Failure of(Throwable cause) {
        Throwable t = cause;
        while (t.getCause() != null && (t instanceof DecoderException || t instanceof EncoderException)) {
            t = t.getCause();
        }
        if (t instanceof WebSocketClientHandshakeException h && h.response() != null) {
            int code = h.response().status().code();
            if (code == 101 && !h.response().headers().contains(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL)) {
                return new Failure(Failure.Kind.NO_SUBPROTOCOL, "the endpoint selected no subprotocol (it does not speak "
                        + WireFormat.SUBPROTOCOL + ")");
            }
            return new Failure(Failure.Kind.HTTP_STATUS, code, "handshake refused: HTTP " + code + " "
                    + PeerText.sanitize(h.response().status().reasonPhrase(), 64));
        }
        if (t instanceof WebSocketClientHandshakeException) {
            return new Failure(Failure.Kind.HANDSHAKE, "handshake failed: " + t.getMessage());
        }
        if (t instanceof ProxyConnectException p) {
            return proxyFailure(p);
        }
        if (t instanceof ConnectTimeoutException) {
            return new Failure(Failure.Kind.CONNECT_TIMEOUT, "connection timed out");
        }
        if (t instanceof ConnectException || t instanceof NoRouteToHostException) {
            return new Failure(Failure.Kind.REFUSED, "cannot connect: " + firstLine(t.getMessage()));
        }
        if (t instanceof UnknownHostException) {
            return new Failure(Failure.Kind.UNKNOWN_HOST, "unknown host " + t.getMessage());
        }
        if (t instanceof SSLException) {
            Throwable root = t;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            String message = firstLine(root.getMessage());
            return new Failure(Failure.Kind.TLS, "TLS handshake failed: " + message + clientCertificateHint(message));
        }
        if (t instanceof ClosedChannelException) {
            return new Failure(Failure.Kind.CLOSED, "connection closed");
        }
        if (t instanceof IOException) {
            return new Failure(Failure.Kind.IO, "connection lost: " + firstLine(t.getMessage()));
        }
        return new Failure(Failure.Kind.OTHER, t.getClass().getSimpleName() + ": " + firstLine(t.getMessage()));
    }

    /**
     * Netty's message is "http, basic, /127.0.0.1:3128 => host:443, status: 407 Proxy Authentication Required"
     * (addresses and the outcome; never the credentials), or ends in "timeout" or "disconnected".
     */
    private static Failure proxyFailure(ProxyConnectException p) {
        String message = firstLine(p.getMessage());
        int status = message.indexOf("status: ");
        if (status >= 0) {
            String answer = PeerText.sanitize(message.substring(status + 8), 64);
            int code = 0;
            try {
                code = Integer.parseInt(answer.substring(0, Math.min(3, answer.length())));
            } catch (NumberFormatException ignored) {
                // no code: the text says it all
            }
            String hint = code == 407 ? "; check the proxy's user and password (user info of the proxy URL)" : "";
            return new Failure(Failure.Kind.PROXY, code, "the proxy refused to connect: HTTP " + answer + hint);
        }
        int arrow = message.indexOf(", /");
        return new Failure(Failure.Kind.PROXY, "the proxy failed: "
                + PeerText.sanitize(arrow >= 0 ? message.substring(arrow + 2) : message, 160));
    }

    /**
     * The alerts a server sends about the client's certificate (measured: a Netty server with ClientAuth.REQUIRE
     * sends bad_certificate to a client that has none, certificate_unknown to one signed by a CA it does not trust;
     * TLS 1.3 defines certificate_required): the operator needs to hear that it is about this side's certificate.
     */
    private static String clientCertificateHint(String message) {
        String prefix = "Received fatal alert: ";
        if (message.startsWith(prefix)) {
            switch (message.substring(prefix.length()).trim()) {
                case "bad_certificate", "certificate_required", "certificate_unknown", "unknown_ca",
                     "certificate_expired", "certificate_revoked", "unsupported_certificate", "access_denied" -> {
                    return " (the server refused this client's certificate, or wants one: give a client certificate"
                            + " signed by a CA the server trusts, with clientCertificate(cert, key) or --client-cert"
                            + " and --client-key)";
                }
                default -> {
                    return "";
                }
            }
        }
        return "";
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
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
        /** An HTTP proxy refused CONNECT ({@link #code()}: its status), timed out or hung up. */
        PROXY,
        /** A header's value could not be had (a supplier failed, a token file is missing): no attempt was made. */
        CREDENTIALS,
        /** Anything else: {@link #text()} names the exception's class. */
        OTHER
    }
}
