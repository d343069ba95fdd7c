package io.wssink.internal.forward;

import io.netty.handler.ssl.SslContextBuilder;
import io.wssink.WebSocketSink;
import io.wssink.internal.receiver.ReceiverConfig;
import io.wssink.internal.receiver.ReferenceReceiver;
import io.wssink.testing.ConnectProxy;
import io.wssink.testing.Output;
import io.wssink.testing.TestCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Through a real HTTP CONNECT proxy on 127.0.0.1 (ConnectProxy): basic auth, a refusal (407), and a proxy that hangs
 * up every tunnel mid-stream. The points where it dies are seeded: rerun with -Dwssink.test.seed=SEED.
 */
class ProxyTest {
    private static final long SEED = Long.getLong("wssink.test.seed", System.nanoTime());

    @TempDir
    Path tmp;

    private WebSocketSink.Builder sink(String url) {
        return WebSocketSink.builder().url(url).spool(tmp.resolve("spool"))
                .backoff(Duration.ofMillis(10), Duration.ofMillis(100));
    }

    @Test
    void everythingArrivesThroughAProxyWithBasicAuth() throws Exception {
        Path out = tmp.resolve("out.txt");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).build());
             ConnectProxy proxy = new ConnectProxy("alice", "s3cr3t:pw");
             WebSocketSink sink = sink(receiver.url()).proxy(proxy.url("alice:s3cr3t%3Apw")).build()) {
            long last = 0;
            for (int i = 0; i < 10_000; i++) {
                last = sink.write("event-" + i);
            }
            sink.acked(last).get(60, TimeUnit.SECONDS);
            assertTrue(proxy.tunnels.get() >= 1, "the connection went through the proxy");
            assertEquals("127.0.0.1:" + receiver.port(), proxy.lastTarget);
        }
        Output.assertExactly(out, "event-", 10_000);
    }

    @Test
    void wssGoesThroughTheTunnelWithTheEndpointsCertificateChecked() throws Exception {
        TestCertificates certs = new TestCertificates();
        TestCertificates.Server server = certs.server("127.0.0.1");
        Path out = tmp.resolve("out.txt");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out)
                .ssl(SslContextBuilder.forServer(server.keys().getPrivate(), server.cert(), certs.ca).build()).build());
             ConnectProxy proxy = new ConnectProxy(null, null);
             WebSocketSink sink = sink(receiver.url()).trustCertificates(certs.writeCa(tmp.resolve("ca.pem")))
                     .proxy(proxy.url(null)).build()) {
            sink.acked(sink.write("over tls")).get(60, TimeUnit.SECONDS);
            assertEquals(1, proxy.tunnels.get());
        }
        assertEquals(List.of("over tls"), Output.lines(out));
    }

    @Test
    void aProxyThatRefusesWith407IsAClearFailedAttemptThatNeverShowsThePassword() throws Exception {
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(tmp.resolve("out.txt")).build());
             ConnectProxy proxy = new ConnectProxy("alice", "right");
             WebSocketSink sink = sink(receiver.url()).proxy(proxy.url("alice:wrong-pass")).build()) {
            sink.write("kept");
            await().atMost(Duration.ofSeconds(30)).until(() -> sink.status().failedAttempts() >= 2);
            String error = sink.status().lastError();
            assertTrue(error.contains("proxy") && error.contains("407"), error);
            assertFalse(error.contains("wrong-pass") || sink.status().toString().contains("wrong-pass"), error);
            assertTrue(proxy.refused.get() >= 2);
            assertEquals(0, receiver.store().records(), "nothing reached the receiver");
            assertEquals(1, sink.status().spool().backlogEvents(), "the event stays spooled");
        }
    }

    @Test
    void aProxyThatDiesMidStreamLosesNothing() throws Exception {
        Random random = new Random(SEED);
        String seed = " (seed " + SEED + ")";
        Path out = tmp.resolve("out.txt");
        int total = 50_000;
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).build());
             ConnectProxy proxy = new ConnectProxy(null, null);
             WebSocketSink sink = sink(receiver.url()).proxy(proxy.url(null)).build()) {
            long last = 0;
            int deaths = 0;
            for (int i = 0; i < total; i++) {
                last = sink.write("event-" + i);
                if (i > 0 && i % 10_000 == 0) {
                    // once some of what was written went through this tunnel, at a seeded point past it
                    long target = Math.min(receiver.store().records() + random.nextInt(2_000), i);
                    await().atMost(Duration.ofSeconds(60)).until(() -> receiver.store().records() >= target);
                    proxy.die();
                    deaths++;
                }
            }
            sink.acked(last).get(120, TimeUnit.SECONDS);
            assertEquals(4, deaths);
            assertTrue(proxy.tunnels.get() >= 5, proxy.tunnels.get() + " tunnels: one per death and one more" + seed);
        }
        Output.assertExactly(out, "event-", total);
    }
}
