package io.wssink.internal.forward;

import io.netty.channel.Channel;
import io.wssink.WebSocketSink;
import io.wssink.internal.spool.Spool;
import io.wssink.internal.spool.SpoolConfig;
import io.wssink.protocol.ConnectionState;
import io.wssink.testing.ScriptedServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Spec section 6: on close the sink stops reading the spool and drains only what is in flight. */
class CloseTest {
    @TempDir
    Path tmp;

    @Test
    void closeReadsNothingMoreFromTheSpool() throws Exception {
        List<Long> received = new CopyOnWriteArrayList<>();
        CompletableFuture<Channel> peer = new CompletableFuture<>();
        // a receiver that stops reading right after the handshake (the sink's channel fills up), and never acks
        try (ScriptedServer server = ScriptedServer.wssink(ch -> {
            ch.config().setAutoRead(false);
            peer.complete(ch);
        }, (ch, ids) -> received.addAll(ids))) {
            Path spool = tmp.resolve("spool");
            WebSocketSink sink = WebSocketSink.builder().url(server.url()).spool(spool).maxFrameBytes(1024)
                    .maxInFlightBytes(64 << 20).drainTimeout(Duration.ofSeconds(2)).build();
            String event = "e".repeat(600); // one record a frame
            int written = 20_000; // 12 MB: more than socket buffers and Netty's outbound buffer take
            for (int i = 0; i < written; i++) {
                sink.write(event);
            }
            Channel ch = peer.get(30, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(30)).until(() -> sink.status().state() == ConnectionState.CONNECTED);
            CompletableFuture<Void> closing = CompletableFuture.runAsync(sink::close);
            await().atMost(Duration.ofSeconds(30)).until(() -> sink.status().state() == ConnectionState.DRAINING);
            long firstMarker = 0;
            for (int i = 0; i < 100; i++) {
                long id = sink.write("marker-" + i);
                firstMarker = firstMarker == 0 ? id : firstMarker;
            }
            ch.config().setAutoRead(true); // what was in flight arrives now
            closing.get(60, TimeUnit.SECONDS);
            assertFalse(received.isEmpty(), "the connection carried records before the close");
            assertTrue(received.size() < written, "the premise: the drain began with records still unread");
            long markers = firstMarker;
            assertTrue(received.stream().noneMatch(id -> Long.compareUnsigned(id, markers) >= 0),
                    "records appended after the drain began were read and sent: " + received.get(received.size() - 1)
                            + " >= " + markers);
        }
        try (Spool reopened = Spool.open(SpoolConfig.builder(tmp.resolve("spool")).build())) {
            assertTrue(reopened.stats().backlogEvents() >= 100, "the markers stay spooled for the next start");
        }
    }
}
