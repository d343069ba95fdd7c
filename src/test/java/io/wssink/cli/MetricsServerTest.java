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
    void aPortInUseIsOneClearError() throws Exception {
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(tmp.resolve("out")).build())) {
            MetricsOptions o = onFreePort();
            o.port = receiver.port();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> o.start(receiver));
            assertTrue(e.getMessage().contains("--metrics-port"), e.getMessage());
        }
    }
}
