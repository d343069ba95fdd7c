package io.wssink.internal.forward;

import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.wssink.WebSocketSink;
import io.wssink.protocol.Acks;
import io.wssink.testing.ScriptedServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A receiver that cuts the link every few hundred records, half the time before acking them: each connection
 * moved the ack cursor, so none of them counts toward the backoff, and the waits between connections stay at the
 * initial backoff instead of doubling towards the maximum.
 */
class FlakyLinkTest {
    private static final long SEED = Long.getLong("wssink.test.seed", System.nanoTime());

    @TempDir
    Path tmp;

    @Test
    void connectionsThatDeliverResetTheBackoff() throws Exception {
        Random random = new Random(SEED);
        int n = 12_000;
        int cutEvery = 500;
        long initialMillis = 100;
        Object lock = new Object();
        long[] highest = {0};
        int[] newOnConnection = {0};
        long[] closedAt = {0};
        List<Long> waitsMillis = new ArrayList<>();
        List<Long> received = new ArrayList<>();
        try (ScriptedServer server = ScriptedServer.wssink(ch -> {
            synchronized (lock) {
                newOnConnection[0] = 0;
                if (closedAt[0] != 0) {
                    waitsMillis.add((System.nanoTime() - closedAt[0]) / 1_000_000);
                }
            }
        }, (ch, ids) -> {
            synchronized (lock) {
                for (long id : ids) {
                    if (Long.compareUnsigned(id, highest[0]) > 0) { // the spec's dedupe rule
                        highest[0] = id;
                        received.add(id);
                        newOnConnection[0]++;
                    }
                }
                boolean cut = newOnConnection[0] >= cutEvery;
                if (cut && random.nextBoolean()) {
                    ch.close(); // cut before acking what this frame brought
                } else {
                    ch.writeAndFlush(new TextWebSocketFrame(Acks.format(highest[0])));
                    if (cut) {
                        ch.close();
                    }
                }
                if (cut) {
                    closedAt[0] = System.nanoTime();
                    newOnConnection[0] = 0;
                }
            }
        });
             WebSocketSink sink = WebSocketSink.builder().url(server.url()).spool(tmp.resolve("spool"))
                     .maxFrameBytes(4096).maxInFlightBytes(16 << 10)
                     .backoff(Duration.ofMillis(initialMillis), Duration.ofSeconds(30)).build()) {
            long last = 0;
            for (int i = 0; i < n; i++) {
                last = sink.write("event-" + i);
            }
            sink.acked(last).get(180, TimeUnit.SECONDS);
            synchronized (lock) {
                String why = "seed " + SEED + ", waits " + waitsMillis;
                assertEquals(n, received.size(), why);
                assertTrue(waitsMillis.size() >= 10, "the link was cut " + waitsMillis.size() + " times; " + why);
                // Each wait is drawn from [0, initial] after a connection that made progress; 900 ms more covers
                // a connect and a handshake on a loaded machine. Without the reset, the ceilings double
                // (100, 200, 400, ... ms) and most later waits pass a second.
                long longWaits = waitsMillis.stream().filter(w -> w > initialMillis + 900).count();
                assertTrue(longWaits <= 2, longWaits + " waits above " + (initialMillis + 900) + " ms; " + why);
            }
        }
    }
}
