package io.wssink.cli;

import io.wssink.WebSocketSink;
import io.wssink.internal.receiver.ReceiverConfig;
import io.wssink.internal.receiver.ReferenceReceiver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.wssink.testing.PrometheusText.sum;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/** The endpoints of --metrics-port in-process, on a real sink, a real receiver and the real HTTP server. */
class MetricsServerTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path tmp;

    static HttpResponse<String> get(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static MetricsOptions onFreePort() {
        MetricsOptions o = new MetricsOptions();
        o.port = 0;
        o.bind = "127.0.0.1";
        return o;
    }

    @Test
    void healthzOfASinkIs200WhileItForwardsAnd503OnceItsForwarderStopped() throws Exception {
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(tmp.resolve("out")).build())) {
            WebSocketSink sink = WebSocketSink.builder().url(receiver.url()).spool(tmp.resolve("spool")).build();
            try (MetricsServer server = onFreePort().start(sink)) {
                String base = "http://127.0.0.1:" + server.port();
                sink.acked(sink.write("one")).get(30, TimeUnit.SECONDS);
                assertEquals(200, get(base + "/healthz").statusCode());
                HttpResponse<String> metrics = get(base + "/metrics");
                assertEquals(200, metrics.statusCode());
                assertEquals(MetricsServer.PROMETHEUS_TEXT, metrics.headers().firstValue("Content-Type").orElse(""));
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                        assertEquals(1, sum(get(base + "/metrics").body(), "wssink_events_acked_total")));
                assertEquals(404, get(base + "/metricsx").statusCode());

                sink.close(); // the forwarder stops
                HttpResponse<String> down = get(base + "/healthz");
                assertEquals(503, down.statusCode(), down.body());
                assertEquals(200, get(base + "/metrics").statusCode(), "a scrape of a stopped sink still answers");
            } finally {
                sink.close();
            }
        }
    }

    /** An Error that even recovery cannot describe: its toString fails, so the forwarder's recovery fails too. */
    private static final class UnprintableError extends Error {
        @Override
        public String toString() {
            throw new IllegalStateException("cannot describe this error");
        }
    }

    /**
     * The forwarder stops on an error it cannot recover from (an ack listener throws an Error that cannot even be
     * printed, so the recovery itself fails) while the sink, and so its spool, stays open: /healthz must say 503
     * although the spool takes writes. sink.close() would close the spool too, so a check of the spool alone passed
     * the test above.
     */
    @Test
    void healthzIs503WhenTheForwarderStopsWhileTheSpoolStaysOpen() throws Exception {
        AtomicBoolean armed = new AtomicBoolean();
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(tmp.resolve("out")).build());
             WebSocketSink sink = WebSocketSink.builder().url(receiver.url()).spool(tmp.resolve("spool")).build()) {
            sink.addAckListener((id, writtenAt, ackedAt) -> {
                if (armed.get()) {
                    throw new UnprintableError();
                }
            });
            try (MetricsServer server = onFreePort().start(sink)) {
                String base = "http://127.0.0.1:" + server.port();
                sink.acked(sink.write("one")).get(30, TimeUnit.SECONDS);
                HttpResponse<String> up = get(base + "/healthz");
                assertEquals(200, up.statusCode(), up.body());

                armed.set(true);
                sink.write("two"); // its ack reaches the listener, which stops the forwarder
                await().atMost(Duration.ofSeconds(30)).until(() -> !sink.isForwarding());
                HttpResponse<String> down = get(base + "/healthz");
                assertEquals(503, down.statusCode(), down.body());
                // the spool is still open: it takes writes and reports its backlog, which nobody forwards now
                sink.write("three");
                assertEquals(2, sink.quickStatus().spool().backlogEvents());
                assertEquals(503, get(base + "/healthz").statusCode());
            }
        }
    }

    @Test
    void healthzOfAReceiverIs200WhileItListensAnd503OnceClosed() throws Exception {
        ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(tmp.resolve("out")).build());
        boolean closed = false;
        try (MetricsServer server = onFreePort().start(receiver)) {
            String base = "http://127.0.0.1:" + server.port();
            assertEquals(200, get(base + "/healthz").statusCode());
            assertEquals(0, sum(get(base + "/metrics").body(), "wssink_receiver_streams_connected"));
            receiver.close();
            closed = true;
            assertEquals(503, get(base + "/healthz").statusCode());
        } finally {
            if (!closed) {
                receiver.close();
            }
        }
    }

    @Test
    void receiverStreamsConnectedIs1WhileASenderIsConnectedAnd0AfterItLeft() throws Exception {
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(tmp.resolve("out")).build());
             MetricsServer server = onFreePort().start(receiver)) {
            String base = "http://127.0.0.1:" + server.port();
            assertEquals(0, sum(get(base + "/metrics").body(), "wssink_receiver_streams_connected"));
            try (WebSocketSink sink = WebSocketSink.builder().url(receiver.url()).spool(tmp.resolve("spool")).build()) {
                sink.acked(sink.write("one")).get(30, TimeUnit.SECONDS);
                String s = get(base + "/metrics").body();
                assertEquals(1, sum(s, "wssink_receiver_streams_connected"), s);
            }
            // the sink closed its connection: the receiver notices the close a moment later
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertEquals(0, sum(get(base + "/metrics").body(), "wssink_receiver_streams_connected")));
        }
    }

    @Test
    void aPortInUseIsOneClearError() throws Exception {
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(tmp.resolve("out")).build())) {
            MetricsOptions o = onFreePort();
            o.port = receiver.port();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> o.start(receiver));
            assertTrue(e.getMessage().contains("--metrics-port"), e.getMessage());
        }
    }
}
