package io.wssink.internal.forward;

import io.wssink.internal.transport.Connection;
import io.wssink.internal.transport.ConnectionEvents;
import io.wssink.internal.transport.Failure;
import io.wssink.internal.transport.TransportConfig;
import io.wssink.internal.transport.WsClient;
import io.wssink.protocol.ConnectionState;
import io.wssink.protocol.InboundMessage;
import io.wssink.protocol.Mode;
import io.wssink.testing.ScriptedServer;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The reconnector against a real endpoint that refuses every handshake, driven step by step as the forwarder does. */
class ReconnectorTest {
    /** Only the attempt's end matters here. */
    private static final class Ends implements ConnectionEvents {
        final CompletableFuture<Failure> closed = new CompletableFuture<>();

        @Override
        public void opened(Connection c) {
        }

        @Override
        public void ack(Connection c, long id) {
        }

        @Override
        public void written(Connection c, long id) {
        }

        @Override
        public void message(Connection c, InboundMessage m) {
        }

        @Override
        public void writabilityChanged(Connection c) {
        }

        @Override
        public void closed(Connection c, Failure failure) {
            closed.complete(failure);
        }
    }

    @Test
    void aRefusedAttemptIsCountedAndBackedOff() throws Exception {
        try (ScriptedServer refusing = ScriptedServer.httpStatus(503)) {
            TransportConfig config = TransportConfig.builder().url(refusing.url())
                    .backoff(Duration.ofSeconds(5), Duration.ofSeconds(5)).build();
            StatusBoard status = new StatusBoard();
            Ends ends = new Ends();
            try (WsClient client = new WsClient(config, "6b3f2c1e-0d4a-4f7e-9b8c-2a1d3e4f5a6b")) {
                Reconnector r = new Reconnector(LoggerFactory.getLogger(ReconnectorTest.class), config, client, ends,
                        status);
                long now = System.nanoTime();
                assertTrue(r.attemptIfDue(now), "the first attempt is due at once");
                assertFalse(r.attemptIfDue(now), "one attempt at a time");
                assertEquals(ConnectionState.CONNECTING, status.state);
                assertNull(r.stuck(now), "an attempt is not stuck before its timeouts");
                Failure f = ends.closed.get(30, TimeUnit.SECONDS);
                assertEquals(Failure.Kind.HTTP_STATUS, f.kind());
                assertEquals(503, f.code());
                r.onClosed(f, 0, false);
                assertNull(r.connection());
                assertEquals(1, status.failedAttempts);
                assertEquals(ConnectionState.BACKING_OFF, status.state);
                assertSame(f.text(), status.lastError);
                long due = r.nanosUntilDue(System.nanoTime());
                assertTrue(due > 0 && due <= Duration.ofSeconds(5).toNanos(), "backed off: " + due + " ns");
                assertFalse(r.attemptIfDue(System.nanoTime()), "no attempt before the backoff is over");
            }
        }
    }

    @Test
    void progressIsWhatThePeerConfirmed() {
        assertTrue(Reconnector.madeProgress(true, Mode.ACK, false), "acks moved the cursor");
        assertFalse(Reconnector.madeProgress(false, Mode.ACK, true));
        assertTrue(Reconnector.madeProgress(true, Mode.RAW, true), "written, and the peer answered a ping");
        assertFalse(Reconnector.madeProgress(true, Mode.RAW, false),
                "written into the socket of a peer that never showed it reads: an accept-and-drop endpoint");
    }

    @Test
    void anAttemptThatNeverEndsIsAbandonedAfterItsTimeouts() throws Exception {
        try (ScriptedServer refusing = ScriptedServer.httpStatus(503)) {
            TransportConfig config = TransportConfig.builder().url(refusing.url()).build();
            try (WsClient client = new WsClient(config, "6b3f2c1e-0d4a-4f7e-9b8c-2a1d3e4f5a6b")) {
                Reconnector r = new Reconnector(LoggerFactory.getLogger(ReconnectorTest.class), config, client,
                        new Ends(), new StatusBoard());
                long now = System.nanoTime();
                r.attemptIfDue(now);
                long limit = config.connectTimeout().plus(config.handshakeTimeout()).toNanos() + 2_000_000_000L;
                assertNull(r.stuck(now + limit - 1));
                Failure stuck = r.stuck(now + limit);
                assertEquals(Failure.Kind.STUCK, stuck.kind());
            }
        }
    }
}
