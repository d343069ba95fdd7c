package io.wssink.internal.forward;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.wssink.WebSocketSink;
import io.wssink.internal.receiver.ReceiverConfig;
import io.wssink.internal.receiver.ReferenceReceiver;
import io.wssink.testing.Output;
import io.wssink.testing.TestCertificates;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

class TlsTest {
    static TestCertificates certs;

    @TempDir
    Path tmp;

    @BeforeAll
    static void makeCertificates() throws Exception {
        certs = new TestCertificates();
    }

    private static SslContext serverFor(String... names) throws Exception {
        TestCertificates.Server server = certs.server(names);
        return SslContextBuilder.forServer(server.keys().getPrivate(), server.cert(), certs.ca).build();
    }

    @Test
    void wssEndToEndWithACertificateMadeAtTestTimeAndPermessageDeflate() throws Exception {
        Path out = tmp.resolve("out.txt");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out)
                .ssl(serverFor("127.0.0.1", "localhost")).build());
             WebSocketSink sink = WebSocketSink.builder().url(receiver.url()).spool(tmp.resolve("spool"))
                     .trustCertificates(certs.writeCa(tmp.resolve("ca.pem"))).compression(true).build()) {
            long last = 0;
            for (int i = 0; i < 10_000; i++) {
                last = sink.write("event-" + i);
            }
            sink.acked(last).get(60, TimeUnit.SECONDS);
            assertTrue(receiver.url().startsWith("wss://"));
        }
        Output.assertExactly(out, "event-", 10_000);
    }

    @Test
    void aCertificateForAnotherHostIsRefusedAndNothingIsSent() throws Exception {
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(tmp.resolve("out.txt"))
                .ssl(serverFor("example.invalid")).build());
             WebSocketSink sink = WebSocketSink.builder().url(receiver.url()).spool(tmp.resolve("spool"))
                     .trustCertificates(certs.writeCa(tmp.resolve("ca.pem")))
                     .backoff(Duration.ofMillis(10), Duration.ofMillis(100)).build()) {
            sink.write("secret");
            await().atMost(Duration.ofSeconds(30)).until(() -> sink.status().failedAttempts() >= 2);
            assertTrue(sink.status().lastError().startsWith("TLS handshake failed"), sink.status().lastError());
            assertEquals(0, receiver.store().records());
            assertEquals(1, sink.status().spool().backlogEvents());
        }
    }

    @Test
    void anUntrustedCertificateIsRefusedUnlessInsecureIsSpelledOut() throws Exception {
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(tmp.resolve("out.txt"))
                .ssl(serverFor("127.0.0.1")).build())) {
            try (WebSocketSink sink = WebSocketSink.builder().url(receiver.url()).spool(tmp.resolve("spool"))
                    .backoff(Duration.ofMillis(10), Duration.ofMillis(100)).build()) {
                sink.write("event-0");
                await().atMost(Duration.ofSeconds(30)).until(() -> sink.status().failedAttempts() >= 2);
                assertTrue(sink.status().lastError().startsWith("TLS handshake failed"), sink.status().lastError());
            }
            try (WebSocketSink sink = WebSocketSink.builder().url(receiver.url()).spool(tmp.resolve("spool"))
                    .insecure(true).build()) {
                sink.acked(sink.write("event-1")).get(30, TimeUnit.SECONDS);
            }
        }
        Output.assertExactly(tmp.resolve("out.txt"), "event-", 2);
    }
}
