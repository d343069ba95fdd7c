package io.wssink.internal.forward;

import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.wssink.WebSocketSink;
import io.wssink.internal.receiver.ReceiverConfig;
import io.wssink.internal.receiver.ReferenceReceiver;
import io.wssink.internal.spool.Spool;
import io.wssink.protocol.Acks;
import io.wssink.testing.Output;
import io.wssink.testing.ScriptedServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Peers that refuse or break the protocol. Each case: a clear error in the status, a reconnect, and nothing lost:
 * the sink is given a good receiver as its second URL, and everything arrives there.
 */
class BadPeerTest {
    @TempDir
    Path tmp;

    /** Writes 100 events to a sink whose first URL is {@code bad}; returns once the good receiver has them all. */
    private WebSocketSink.Builder sink(String bad, ReferenceReceiver good) {
        return WebSocketSink.builder().url(bad).url(good.url()).spool(tmp.resolve("spool"))
                .backoff(Duration.ofMillis(10), Duration.ofMillis(100)).failbackAfter(Duration.ofHours(1));
    }

    private void deliverDespite(String bad, String expectedError) throws Exception {
        deliverDespite(bad, expectedError, sink -> { });
    }

    /** As above; {@code check} runs on the sink once everything arrived, before it closes. */
    private void deliverDespite(String bad, String expectedError, Consumer<WebSocketSink> check) throws Exception {
        Path out = tmp.resolve("out.txt");
        try (ReferenceReceiver good = ReferenceReceiver.start(ReceiverConfig.builder(out).build());
             WebSocketSink sink = sink(bad, good).build()) {
            long last = 0;
            for (int i = 0; i < 100; i++) {
                last = sink.write("event-" + i);
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> sink.status().failedAttempts() >= 1);
            String error = sink.status().lastError();
            assertNotNull(error);
            assertTrue(error.contains(expectedError), error);
            sink.acked(last).get(30, TimeUnit.SECONDS);
            check.accept(sink);
        }
        Output.assertExactly(out, "event-", 100);
    }

    @ParameterizedTest
    @ValueSource(ints = {401, 404, 500})
    void aRefusedHandshakeIsAClearErrorThenARetry(int status) throws Exception {
        try (ScriptedServer bad = ScriptedServer.httpStatus(status)) {
            deliverDespite(bad.url(), "handshake refused: HTTP " + status);
        }
    }

    @Test
    void aMalformedAckClosesWith1002AndIsCounted() throws Exception {
        try (ScriptedServer bad = ScriptedServer.wssink(ch -> ch.writeAndFlush(new TextWebSocketFrame("{\"ack\":\"12x\"}")),
                (ch, ids) -> { })) {
            deliverDespite(bad.url(), "protocol error: ack id is not an unsigned decimal: 12x",
                    sink -> assertTrue(sink.status().protocolErrors() >= 1, sink.status().toString()));
            await().atMost(Duration.ofSeconds(10)).until(() -> !bad.closeStatuses().isEmpty());
            assertEquals(1002L, bad.closeStatuses().get(0));
        }
    }

    @Test
    void anAckPastWhatWasSentIsAProtocolErrorAndMovesNothing() throws Exception {
        Path out = tmp.resolve("out.txt");
        try (ScriptedServer bad = ScriptedServer.wssink(ch -> ch.writeAndFlush(new TextWebSocketFrame(Acks.format(0))),
                (ch, ids) -> ch.writeAndFlush(new TextWebSocketFrame(Acks.format(ids.get(ids.size() - 1) + 1000))));
             WebSocketSink sink = WebSocketSink.builder().url(bad.url()).spool(tmp.resolve("spool"))
                     .backoff(Duration.ofMillis(10), Duration.ofMillis(100)).build()) {
            for (int i = 0; i < 100; i++) {
                sink.write("event-" + i);
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> sink.status().protocolErrors() >= 2);
            assertTrue(sink.status().lastError().contains("is past the highest id sent on this connection"),
                    sink.status().lastError());
            assertEquals(Spool.NONE, sink.status().spool().ackedId(), "the cursor never moved");
            assertEquals(100, sink.status().spool().backlogEvents());
            await().atMost(Duration.ofSeconds(10)).until(() -> bad.closeStatuses().contains(1002L));
        }
    }

    @Test
    void anAckThatGoesBackwardsIsIgnored() throws Exception {
        try (ScriptedServer peer = ScriptedServer.wssink(ch -> { }, (ch, ids) -> {
            ch.writeAndFlush(new TextWebSocketFrame(Acks.format(ids.get(ids.size() - 1))));
            ch.writeAndFlush(new TextWebSocketFrame(Acks.format(ids.get(0)))); // backwards
        });
             WebSocketSink sink = WebSocketSink.builder().url(peer.url()).spool(tmp.resolve("spool")).build()) {
            long last = 0;
            for (int i = 0; i < 10; i++) {
                last = sink.write("event-" + i);
            }
            sink.acked(last).get(30, TimeUnit.SECONDS);
            long expected = last;
            await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5))
                    .until(() -> sink.status().spool().ackedId() == expected);
            assertEquals(0, sink.status().protocolErrors());
            assertEquals(0, sink.status().failedAttempts());
        }
    }

    @Test
    void anOversizedMessageClosesWith1009() throws Exception {
        String big = "x".repeat(2 << 20);
        try (ScriptedServer bad = ScriptedServer.wssink(ch -> ch.writeAndFlush(new TextWebSocketFrame(big)), (ch, ids) -> { })) {
            deliverDespite(bad.url(), "the receiver sent a message larger than maxMessageBytes");
            await().atMost(Duration.ofSeconds(10)).until(() -> !bad.closeStatuses().isEmpty());
            assertEquals(1009L, bad.closeStatuses().get(0), "closed with 1009, message too big");
        }
    }

    @Test
    void garbageInsteadOfFramesIsAFailedConnection() throws Exception {
        try (ScriptedServer bad = ScriptedServer.wssink(ch -> ch.writeAndFlush(ScriptedServer.garbage()), (ch, ids) -> { })) {
            deliverDespite(bad.url(), "malformed frame");
        }
    }
}
