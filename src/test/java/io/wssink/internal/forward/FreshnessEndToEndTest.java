package io.wssink.internal.forward;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.wssink.WebSocketSink;
import io.wssink.internal.chaos.FaultProxy;
import io.wssink.internal.receiver.ReceiverConfig;
import io.wssink.internal.receiver.ReferenceReceiver;
import io.wssink.internal.spool.Spool;
import io.wssink.protocol.Acks;
import io.wssink.protocol.ConnectionState;
import io.wssink.protocol.GapNotice;
import io.wssink.spool.DroppedEventException;
import io.wssink.spool.ExpiredEventException;
import io.wssink.spool.FullPolicy;
import io.wssink.spool.RollPeriod;
import io.wssink.spool.SpoolStats;
import io.wssink.testing.Output;
import io.wssink.testing.ScriptedServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Freshness for live views, through a real receiver whose link is down for a while: a proxy pointed at port 0
 * refuses every connection until it is pointed at the receiver.
 */
class FreshnessEndToEndTest {
    @TempDir
    Path tmp;

    @Test
    void eventsThatAgedWhileTheReceiverWasUnreachableAreNeverSentAndTheirAckFails() throws Exception {
        Path out = tmp.resolve("out.txt");
        Duration age = Duration.ofSeconds(2); // "fresh" must be read within it on a loaded machine
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).build());
             FaultProxy link = new FaultProxy(0);
             WebSocketSink sink = WebSocketSink.builder().url(link.url()).spool(tmp.resolve("spool"))
                     .maxEventAge(age).backoff(Duration.ofMillis(10), Duration.ofMillis(100)).build()) {
            List<Long> old = new ArrayList<>();
            List<CompletableFuture<Void>> waiting = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                long id = sink.write("old-" + i);
                old.add(id);
                waiting.add(sink.acked(id)); // waiting before the event expires
            }
            long aged = System.currentTimeMillis() + age.toMillis() + 50;
            await().atMost(Duration.ofSeconds(10)).until(() -> System.currentTimeMillis() > aged);
            long fresh = sink.write("fresh");
            link.target(receiver.port());
            sink.acked(fresh).get(30, TimeUnit.SECONDS);
            for (CompletableFuture<Void> f : waiting) {
                ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(30, TimeUnit.SECONDS));
                assertInstanceOf(ExpiredEventException.class, e.getCause());
            }
            ExecutionException late = assertThrows(ExecutionException.class,
                    () -> sink.acked(old.get(0)).get(30, TimeUnit.SECONDS));
            assertEquals(old.get(0), assertInstanceOf(ExpiredEventException.class, late.getCause()).id());
            SpoolStats stats = sink.status().spool();
            assertEquals(10, stats.expiredEvents());
            assertEquals(0, stats.backlogEvents());
            assertEquals(1, receiver.gapNotices(), "the receiver was told of the gap before \"fresh\"");
        }
        assertEquals(List.of("fresh"), Output.lines(out));
    }

    /**
     * A gap notice goes only to a receiver that answered the offer, right before the first record after the gap and
     * after the records before it; wssink.v1 alone has no text frame from sink to receiver, so a receiver written
     * from the spec alone never gets one.
     */
    @ParameterizedTest(name = "receiver takes gap notices: {0}")
    @ValueSource(booleans = {true, false})
    void aGapNoticeComesBeforeTheFirstRecordAfterSkippedEventsOnlyWhereTheReceiverTakesThem(boolean takes)
            throws Exception {
        List<Object> seen = new CopyOnWriteArrayList<>(); // ids of records and texts, in arrival order
        BiConsumer<Channel, List<Long>> ackAll = (ch, ids) -> {
            seen.addAll(ids);
            ch.writeAndFlush(new TextWebSocketFrame(Acks.format(ids.get(ids.size() - 1))));
        };
        try (ScriptedServer server = takes ? ScriptedServer.wssinkTakingGapNotices(ch -> { }, ackAll)
                : ScriptedServer.wssink(ch -> { }, ackAll);
             FaultProxy link = new FaultProxy(server.port());
             WebSocketSink sink = WebSocketSink.builder().url(link.url()).spool(tmp.resolve("spool"))
                     .maxEventAge(Duration.ofSeconds(2)).backoff(Duration.ofMillis(10), Duration.ofMillis(100))
                     .build()) {
            long before = sink.write("before");
            sink.acked(before).get(30, TimeUnit.SECONDS);
            link.target(0); // down: the next events age in the spool
            link.cutAll();
            await().atMost(Duration.ofSeconds(10)).until(() -> sink.status().state() != ConnectionState.CONNECTED);
            for (int i = 0; i < 10; i++) {
                sink.write("old-" + i);
            }
            long aged = System.currentTimeMillis() + 2050;
            await().atMost(Duration.ofSeconds(10)).until(() -> System.currentTimeMillis() > aged);
            long fresh = sink.write("fresh");
            link.target(server.port());
            sink.acked(fresh).get(30, TimeUnit.SECONDS);
            List<String> texts = server.texts();
            if (takes) {
                assertEquals(List.of(new GapNotice(before, fresh).format()), texts);
            } else {
                assertEquals(List.of(), texts, "no text frame for a receiver that did not answer the offer");
            }
            assertEquals(List.of(before, fresh), seen);
        }
    }

    @Test
    void dropOldestWhileTheReceiverIsUnreachableDeliversExactlyTheEventsAfterTheDroppedRange() throws Exception {
        Path out = tmp.resolve("out.txt");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).build());
             FaultProxy link = new FaultProxy(0);
             WebSocketSink sink = WebSocketSink.builder().url(link.url()).spool(tmp.resolve("spool"))
                     .rollPeriod(RollPeriod.TEST_SECONDLY).blockSize(1 << 20).maxSpoolBytes(4 << 20)
                     .maxEventBytes(1 << 10).fullPolicy(FullPolicy.DROP_OLDEST)
                     .backoff(Duration.ofMillis(10), Duration.ofMillis(100)).build()) {
            List<Long> ids = new ArrayList<>();
            String pad = "x".repeat(900);
            CompletableFuture<Void> firstAck = new CompletableFuture<>();
            // fills the spool across seconds (a file each) until DROP_OLDEST has dropped the oldest
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(10)).until(() -> {
                for (int i = 0; i < 50; i++) {
                    long id = sink.write(ids.size() + " " + pad);
                    assertNotEquals(Spool.DROPPED, id, "the new event is kept");
                    ids.add(id);
                    if (ids.size() == 1) {
                        sink.acked(id).whenComplete((v, e) -> {
                            if (e == null) {
                                firstAck.complete(null);
                            } else {
                                firstAck.completeExceptionally(e);
                            }
                        });
                    }
                    if (sink.status().spool().droppedOldestEvents() > 0) {
                        return true; // stops at the write that dropped: one drop
                    }
                }
                return false;
            });
            link.target(receiver.port());
            sink.acked(ids.get(ids.size() - 1)).get(60, TimeUnit.SECONDS);
            SpoolStats stats = sink.status().spool();
            long lastDropped = stats.droppedOldestLastId();
            List<String> kept = new ArrayList<>();
            int dropped = 0;
            for (int n = 0; n < ids.size(); n++) {
                if (Long.compareUnsigned(ids.get(n), lastDropped) > 0) {
                    kept.add(n + " " + pad);
                } else {
                    dropped++;
                }
            }
            assertTrue(dropped > 0 && !kept.isEmpty(), dropped + " dropped, " + kept.size() + " kept");
            assertEquals(dropped, stats.droppedOldestEvents(), "every dropped event counted once");
            assertEquals(ids.get(0), stats.droppedOldestFirstId(), "one drop, from the oldest event on");
            assertEquals(0, stats.droppedEvents());
            assertEquals(0, stats.backlogEvents());
            ExecutionException e = assertThrows(ExecutionException.class, () -> firstAck.get(30, TimeUnit.SECONDS));
            assertEquals(ids.get(0), assertInstanceOf(DroppedEventException.class, e.getCause()).id());
            assertEquals(kept, Output.lines(out), "the receiver got every event after the dropped range, in order");
            assertEquals(1, receiver.gapNotices(), "the receiver was told of the dropped range");
        }
    }
}
