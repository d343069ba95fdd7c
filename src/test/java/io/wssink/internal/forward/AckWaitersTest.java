package io.wssink.internal.forward;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.wssink.internal.spool.Spool;
import io.wssink.internal.spool.SpoolConfig;
import io.wssink.internal.transport.TransportConfig;
import io.wssink.protocol.Acks;
import io.wssink.testing.ScriptedServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One ack that covers many events settles their {@code acked(id)} waiters a slice per turn, with the turn's sends in
 * between: it settled them all at once on the forwarder thread, dependents included, and an event written meanwhile
 * waited for every one of them (at 10k events/s and an ack every 100 ms, ~1,000 futures per ack: LatencyHarness).
 */
class AckWaitersTest {
    private static final int EVENTS = 1000;
    private static final byte[] PAYLOAD = new byte[100];

    @TempDir
    Path tmp;

    @Test
    void oneAckOfManyEventsSettlesTheirWaitersInSlicesAndSendsBetweenThem() throws Exception {
        AtomicReference<Channel> peer = new AtomicReference<>();
        AtomicLong highest = new AtomicLong();
        try (ScriptedServer server = ScriptedServer.wssink(peer::set,
                (ch, ids) -> highest.set(ids.get(ids.size() - 1))); // no acks but the one sent below
             Spool spool = Spool.open(SpoolConfig.builder(tmp.resolve("spool")).build())) {
            Forwarder forwarder = new Forwarder(spool, TransportConfig.builder().url(server.url()).build(), m -> { });
            try {
                forwarder.start();
                long[] ids = new long[EVENTS];
                for (int i = 0; i < EVENTS; i++) {
                    ids[i] = spool.append(PAYLOAD, 0, PAYLOAD.length);
                    forwarder.wake();
                }
                long last = ids[EVENTS - 1];
                await().atMost(Duration.ofSeconds(30)).until(() -> highest.get() == last);

                // the dependents run on the forwarder thread: each notes the turn it ran in; the first one writes an
                // event, and the last one notes the highest id sent by then
                long[] turnOf = new long[EVENTS];
                List<Long> order = new CopyOnWriteArrayList<>();
                AtomicLong written = new AtomicLong();
                AtomicLong sentBeforeTheLast = new AtomicLong();
                List<CompletableFuture<Void>> waiters = new ArrayList<>();
                for (int i = 0; i < EVENTS; i++) {
                    int k = i;
                    waiters.add(forwarder.acked(ids[k]).thenRun(() -> {
                        turnOf[k] = forwarder.turns();
                        order.add(ids[k]);
                        if (k == 0) {
                            written.set(spool.append(PAYLOAD, 0, PAYLOAD.length));
                            forwarder.wake();
                        } else if (k == EVENTS - 1) {
                            sentBeforeTheLast.set(forwarder.highestSent());
                        }
                    }));
                }
                peer.get().writeAndFlush(new TextWebSocketFrame(Acks.format(last)));
                CompletableFuture.allOf(waiters.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);

                Map<Long, Integer> perTurn = new HashMap<>();
                for (long turn : turnOf) {
                    perTurn.merge(turn, 1, Integer::sum);
                }
                int most = perTurn.values().stream().max(Integer::compare).orElseThrow();
                assertTrue(most <= Forwarder.MAX_SETTLED_PER_TURN, most + " waiters settled in one turn");
                assertTrue(perTurn.size() >= EVENTS / Forwarder.MAX_SETTLED_PER_TURN,
                        "settled in " + perTurn.size() + " turns");
                for (int i = 0; i < EVENTS; i++) {
                    assertEquals(ids[i], order.get(i), "settled in id order");
                }
                assertEquals(written.get(), sentBeforeTheLast.get(), "the event written by the first waiter's"
                        + " dependent went out before the last waiter was settled");
            } finally {
                forwarder.close(0);
            }
        }
    }
}
