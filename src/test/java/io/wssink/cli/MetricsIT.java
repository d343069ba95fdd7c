package io.wssink.cli;

import io.wssink.WebSocketSink;
import io.wssink.internal.chaos.FaultProxy;
import io.wssink.internal.receiver.ReceiverConfig;
import io.wssink.internal.receiver.ReferenceReceiver;
import io.wssink.testing.Output;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static io.wssink.cli.MetricsServerTest.get;
import static io.wssink.testing.PrometheusText.sum;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/** The real jar's --metrics-port, scraped as Prometheus would, for send and for serve. */
class MetricsIT {
    private static final Pattern METRICS_URL = Pattern.compile("metrics on (http://127\\.0\\.0\\.1:\\d+)/metrics");

    @TempDir
    Path tmp;

    private final List<Process> children = new ArrayList<>();

    @AfterEach
    void killChildren() throws InterruptedException {
        for (Process p : children) {
            p.toHandle().destroyForcibly();
            p.waitFor();
        }
    }

    private Process start(ProcessBuilder pb) throws IOException {
        Process p = pb.start();
        children.add(p);
        return p;
    }

    /** The base URL a command printed to its stderr file. */
    private static String metricsBase(Path stderr) {
        String[] base = new String[1];
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            Matcher m = METRICS_URL.matcher(Files.exists(stderr) ? Files.readString(stderr) : "");
            if (m.find()) {
                base[0] = m.group(1);
            }
            return base[0] != null;
        });
        return base[0];
    }

    @Test
    void sendShowsTheBacklogGrowWhileTheReceiverIsDownAndFallToZeroAfter() throws Exception {
        Path out = tmp.resolve("out.txt");
        Path in = tmp.resolve("in.txt");
        Files.writeString(in, IntStream.range(0, 50).mapToObj(i -> "line-" + i + "\n").collect(Collectors.joining()));
        Path err = tmp.resolve("send.err");
        try (FaultProxy link = new FaultProxy(0); // refuses every connection until pointed at the receiver
             ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).build())) {
            start(Jar.command("send", "--url", link.url(), "--spool", tmp.resolve("spool").toString(), "--follow",
                    "--metrics-port", "0").redirectInput(in.toFile()).redirectError(err.toFile()));
            String base = metricsBase(err);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                String s = get(base + "/metrics").body();
                assertEquals(50, sum(s, "wssink_spool_backlog_events"));
                assertTrue(sum(s, "wssink_spool_backlog_bytes") > 0, s);
                assertTrue(sum(s, "wssink_spool_oldest_unacked_age_seconds") > 0, s);
                assertEquals(50, sum(s, "wssink_events_appended_total"));
                assertEquals(0, sum(s, "wssink_connection_up"));
                assertEquals(0, sum(s, "wssink_events_acked_total"));
            });
            assertEquals(200, get(base + "/healthz").statusCode(), "down receiver, forwarder alive: healthy");

            link.target(receiver.port());
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                String s = get(base + "/metrics").body();
                assertEquals(0, sum(s, "wssink_spool_backlog_events"));
                assertEquals(0, sum(s, "wssink_spool_backlog_bytes"));
                assertEquals(0, sum(s, "wssink_spool_oldest_unacked_age_seconds"));
                assertEquals(50, sum(s, "wssink_events_acked_total"));
                assertEquals(1, sum(s, "wssink_connection_up"));
                assertEquals(50, sum(s, "wssink_ack_latency_seconds_count"));
                assertTrue(sum(s, "wssink_ack_latency_seconds_sum") > 0, s);
                assertEquals(0, sum(s, "wssink_events_dropped_total"));
                assertEquals(0, sum(s, "wssink_records_corrupt_total"));
                assertEquals(0, sum(s, "wssink_reconnects_total"));
            });
            receiver.dropConnections();
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                    assertEquals(1, sum(get(base + "/metrics").body(), "wssink_reconnects_total")));
        }
        Output.assertExactly(out, "line-", 50);
    }

    @Test
    void serveCountsStreamsRecordsBytesDuplicatesFsyncsAndAcks() throws Exception {
        Path out = tmp.resolve("out.txt");
        Path err = tmp.resolve("serve.err");
        Process serve = start(Jar.command("serve", "--port", "0", "--out", out.toString(), "--metrics-port", "0")
                .redirectError(err.toFile()));
        String ready = new BufferedReader(new InputStreamReader(serve.getInputStream(), StandardCharsets.UTF_8)).readLine();
        assertNotNull(ready, "serve printed nothing");
        String url = ready.substring("listening on ".length());
        String base = metricsBase(err);
        assertEquals(200, get(base + "/healthz").statusCode());

        String spool = tmp.resolve("spool").toString();
        String lines = IntStream.range(0, 20).mapToObj(i -> "line-" + i + "\n").collect(Collectors.joining());
        Jar.Result first = Jar.run(lines, 120, "send", "--url", url, "--spool", spool);
        assertEquals(0, first.exit(), first.err());
        // everything again: the receiver holds it, so each record is a duplicate
        assertEquals(0, Jar.run("rewind", "--spool", spool, "--to-time", "2000-01-01T00:00:00Z").exit());
        Jar.Result again = Jar.run("", 120, "send", "--url", url, "--spool", spool);
        assertEquals(0, again.exit(), again.err());

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            String s = get(base + "/metrics").body();
            assertEquals(20, sum(s, "wssink_receiver_records_received_total"));
            assertEquals(20 * "line-0".length() + 10, sum(s, "wssink_receiver_bytes_received_total")); // 10 two-digit
            assertEquals(20, sum(s, "wssink_receiver_duplicates_dropped_total"));
            assertTrue(sum(s, "wssink_receiver_acks_sent_total") >= 2, s); // at least a resume ack per connection
            // one commit wrote the 20 records; the duplicates left nothing to force
            assertTrue(sum(s, "wssink_receiver_fsync_seconds_count") >= 1, s);
            assertTrue(sum(s, "wssink_receiver_fsync_seconds_sum") > 0, s);
            assertEquals(0, sum(s, "wssink_receiver_streams_connected"), "both sends ended");
        });
        Output.assertExactly(out, "line-", 20);

        // a sender that stays connected is counted while it is, and no longer once it left
        try (WebSocketSink sink = WebSocketSink.builder().url(url).spool(tmp.resolve("spool-2")).build()) {
            sink.acked(sink.write("still connected")).get(60, TimeUnit.SECONDS);
            String s = get(base + "/metrics").body();
            assertEquals(1, sum(s, "wssink_receiver_streams_connected"), s);
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertEquals(0, sum(get(base + "/metrics").body(), "wssink_receiver_streams_connected")));
    }
}
