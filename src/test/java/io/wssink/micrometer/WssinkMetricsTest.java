package io.wssink.micrometer;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.wssink.WebSocketSink;
import io.wssink.internal.chaos.FaultProxy;
import io.wssink.internal.receiver.ReceiverConfig;
import io.wssink.internal.receiver.ReferenceReceiver;
import io.wssink.spool.EventIds;
import io.wssink.spool.FullPolicy;
import io.wssink.testing.Output;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.wssink.testing.PrometheusText.sum;
import static io.wssink.testing.PrometheusText.value;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The binder's meters on a real sink and a real reference receiver, read as Prometheus text: a proxy pointed at
 * port 0 keeps the receiver unreachable until it is pointed at it.
 */
class WssinkMetricsTest {
    @TempDir
    Path tmp;

    @Test
    void everyMeterIsTaggedWithTheStreamAndFollowsTheBacklogThroughAnOutageAndAReconnect() throws Exception {
        Path out = tmp.resolve("out.txt");
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).build());
             FaultProxy link = new FaultProxy(0);
             WebSocketSink sink = WebSocketSink.builder().url(link.url()).spool(tmp.resolve("spool"))
                     .backoff(Duration.ofMillis(10), Duration.ofMillis(100)).build()) {
            WssinkMetrics.bind(sink, registry); // the binder itself is not kept: the meters must not need it kept
            System.gc();
            String stream = "stream=\"" + sink.streamId() + "\"";
            for (int i = 0; i < 100; i++) {
                sink.write("event-" + i);
            }
            // the receiver is unreachable: the backlog is all of them and ages
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                String s = registry.scrape();
                assertEquals(100, value(s, "wssink_spool_backlog_events", stream));
                assertTrue(value(s, "wssink_spool_backlog_bytes", stream) > 100 * "event-0".length());
                assertTrue(value(s, "wssink_spool_oldest_unacked_age_seconds", stream) > 0);
                assertEquals(100, value(s, "wssink_events_appended_total", stream));
                assertEquals(0, value(s, "wssink_connection_up", stream));
                assertEquals(0, value(s, "wssink_events_acked_total", stream));
            });

            link.target(receiver.port());
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                String s = registry.scrape();
                assertEquals(0, value(s, "wssink_spool_backlog_events", stream));
                assertEquals(0, value(s, "wssink_spool_backlog_bytes", stream));
                assertEquals(0, value(s, "wssink_spool_oldest_unacked_age_seconds", stream));
                assertEquals(100, value(s, "wssink_events_acked_total", stream));
                assertEquals(1, value(s, "wssink_connection_up", stream));
                assertEquals(100, value(s, "wssink_ack_latency_seconds_count", stream));
                assertEquals(0, value(s, "wssink_reconnects_total", stream));
            });
            String s = registry.scrape();
            // from write to ack: at least as long as the receiver was unreachable, and a histogram
            assertTrue(value(s, "wssink_ack_latency_seconds_max", stream) > 0, s);
            assertEquals(100, value(s, "wssink_ack_latency_seconds_bucket", "le=\"+Inf\""), s);
            assertEquals(0, sum(s, "wssink_events_dropped_total"));
            assertEquals(3, s.lines().filter(l -> l.startsWith("wssink_events_dropped_total{")).count(), s);
            assertEquals(0, value(s, "wssink_records_corrupt_total", stream));

            receiver.dropConnections();
            long last = sink.write("after the reconnect");
            sink.acked(last).get(30, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                String after = registry.scrape();
                assertEquals(1, value(after, "wssink_reconnects_total", stream));
                assertEquals(101, value(after, "wssink_events_acked_total", stream));
                assertEquals(101, value(after, "wssink_events_appended_total", stream));
            });
        }
        assertEquals(101, Output.lines(out).size());
        // closed: once the last snapshot is stale, the gauges read NaN rather than failing the scrape
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertTrue(Double.isNaN(sum(registry.scrape(), "wssink_spool_backlog_events"))));
    }

    /**
     * The receiver takes in every event but acks none of them (it acks only on an interval far beyond the test) when
     * the link drops: the next connection's resume ack acknowledges them all, and, coming in before the sink has
     * read them all again (one small frame per event, 64 frames a turn), it skips the cursor ahead. Before the fix
     * the forwarder forgot the write times of what it had sent when the link dropped, and nothing reported the
     * skipped events: acked_total stayed below what was delivered for good.
     */
    @Test
    void ackedTotalCountsWhatAResumeAckSkippedAheadOverAfterTheLinkDropped() throws Exception {
        Path out = tmp.resolve("out.txt");
        int events = 1500;
        String padding = "x".repeat(900); // with 1 KiB frames: one event a frame
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ReceiverConfig config = ReceiverConfig.builder(out).ackOnReadComplete(false).ackInterval(Duration.ofHours(1))
                .ackBytes(Integer.MAX_VALUE).fsync(ReceiverConfig.Fsync.NEVER).build();
        try (ReferenceReceiver receiver = ReferenceReceiver.start(config);
             FaultProxy link = new FaultProxy(receiver.port());
             WebSocketSink sink = WebSocketSink.builder().url(link.url()).spool(tmp.resolve("spool"))
                     .maxFrameBytes(1024).backoff(Duration.ofMillis(10), Duration.ofMillis(100)).build()) {
            WssinkMetrics.bind(sink, registry);
            String stream = "stream=\"" + sink.streamId() + "\"";
            long last = 0;
            for (int i = 0; i < events; i++) {
                last = sink.write(i + padding);
            }
            // taken in, not yet acknowledged (the receiver commits when it acks)
            await().atMost(Duration.ofSeconds(60)).until(() -> receiver.meters().recordsReceived() == events);
            assertEquals(1, receiver.meters().acksSent(), "the receiver acked more than its resume ack before the drop");
            assertEquals(0, sink.ackedEvents());

            link.cutAll();
            sink.acked(last).get(60, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                String s = registry.scrape();
                assertEquals(1, value(s, "wssink_reconnects_total", stream), s);
                assertEquals(0, value(s, "wssink_spool_backlog_events", stream), s);
                assertEquals(events, value(s, "wssink_events_acked_total", stream), s);
                // all written by this sink: their write times are known, so each is timed too
                assertEquals(events, value(s, "wssink_ack_latency_seconds_count", stream), s);
            });
            assertEquals(events, sink.ackedEvents());
            System.out.printf("resent after the drop and dropped as duplicates: %d of %d%n",
                    receiver.meters().duplicatesDropped(), events);
        }
        assertEquals(events, Output.lines(out).size());
    }

    @Test
    void droppedEventsAreCountedByReason() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (WebSocketSink sink = WebSocketSink.builder().url("ws://127.0.0.1:1/never").spool(tmp.resolve("spool"))
                .blockSize(1 << 20).maxSpoolBytes(4 << 20).maxEventBytes(1 << 16).fullPolicy(FullPolicy.DROP_NEWEST)
                .build()) {
            WssinkMetrics.bind(sink, registry);
            byte[] big = new byte[60_000];
            long dropped = 0;
            for (int i = 0; i < 200 && dropped < 3; i++) {
                if (sink.write(big) == EventIds.DROPPED) {
                    dropped++;
                }
            }
            assertEquals(3, dropped, "the spool never filled");
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertEquals(3.0,
                    registry.get("wssink.events.dropped").tag("reason", "spool_full").functionCounter().count()));
            assertEquals(List.of(sink.streamId()), registry.get("wssink.events.dropped").functionCounters().stream()
                    .map(c -> c.getId().getTag("stream")).distinct().toList());
        }
    }
}
