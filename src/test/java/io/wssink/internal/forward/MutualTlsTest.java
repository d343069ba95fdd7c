package io.wssink.internal.forward;

import io.netty.handler.ssl.ClientAuth;
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

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/** A receiver (Netty TLS, ClientAuth.REQUIRE) that takes only clients with a certificate signed by its CA. */
class MutualTlsTest {
    static TestCertificates certs;

    @TempDir
    Path tmp;

    @BeforeAll
    static void makeCertificates() throws Exception {
        certs = new TestCertificates();
    }

    private static SslContext requiringClientCertificates() throws Exception {
        TestCertificates.Server server = certs.server("127.0.0.1", "localhost");
        return SslContextBuilder.forServer(server.keys().getPrivate(), server.cert(), certs.ca)
                .trustManager(certs.ca).clientAuth(ClientAuth.REQUIRE).build();
    }

    private WebSocketSink.Builder sink(ReferenceReceiver receiver) throws Exception {
        return WebSocketSink.builder().url(receiver.url()).spool(tmp.resolve("spool"))
                .trustCertificates(certs.writeCa(tmp.resolve("ca.pem")))
                .backoff(Duration.ofMillis(10), Duration.ofMillis(100));
    }

    @Test
    void withAClientCertificateSignedByTheReceiversCaEverythingArrives() throws Exception {
        Path cert = tmp.resolve("client.pem");
        Path key = tmp.resolve("client.key");
        TestCertificates.writePem(certs.client("sink-1"), cert, key);
        assertTrue(Files.readString(key).startsWith("-----BEGIN PRIVATE KEY-----"), "PKCS#8, as openssl writes");
        Path out = tmp.resolve("out.txt");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).ssl(requiringClientCertificates()).build());
             WebSocketSink sink = sink(receiver).clientCertificate(cert, key).build()) {
            long last = 0;
            for (int i = 0; i < 1000; i++) {
                last = sink.write("event-" + i);
            }
            sink.acked(last).get(60, TimeUnit.SECONDS);
        }
        Output.assertExactly(out, "event-", 1000);
    }

    @Test
    void withoutOneTheReceiverRefusesAndTheErrorSaysAClientCertificateIsWanted() throws Exception {
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(tmp.resolve("out.txt"))
                .ssl(requiringClientCertificates()).build());
             WebSocketSink sink = sink(receiver).build()) {
            sink.write("kept");
            await().atMost(Duration.ofSeconds(30)).until(() -> sink.status().failedAttempts() >= 2);
            String error = sink.status().lastError();
            assertTrue(error.contains("client certificate"), error);
            assertEquals(0, receiver.store().records());
            assertEquals(1, sink.status().spool().backlogEvents(), "the event stays spooled");
        }
    }

    @Test
    void aCertificateFromAnotherCaIsRefusedWithAClearError() throws Exception {
        Path cert = tmp.resolve("client.pem");
        Path key = tmp.resolve("client.key");
        TestCertificates.writePem(new TestCertificates().client("stranger"), cert, key);
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(tmp.resolve("out.txt"))
                .ssl(requiringClientCertificates()).build());
             WebSocketSink sink = sink(receiver).clientCertificate(cert, key).build()) {
            sink.write("kept");
            await().atMost(Duration.ofSeconds(30)).until(() -> sink.status().failedAttempts() >= 2);
            String error = sink.status().lastError();
            assertTrue(error.contains("client certificate"), error);
            assertEquals(0, receiver.store().records());
        }
    }

    @Test
    void aKeyFileThatIsNotAKeyIsRefusedAtBuildNamingTheFiles() throws Exception {
        Path cert = tmp.resolve("client.pem");
        Path key = tmp.resolve("client.key");
        TestCertificates.writePem(certs.client("sink-1"), cert, key);
        Files.writeString(key, "not a key\n");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(tmp.resolve("out.txt"))
                .ssl(requiringClientCertificates()).build())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> sink(receiver).clientCertificate(cert, key).build());
            assertTrue(e.getMessage().contains(key.toString()) && e.getMessage().contains("PKCS#8"), e.getMessage());
        }
    }
}
