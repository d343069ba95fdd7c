package io.wssink.cli;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.wssink.WebSocketSink;
import io.wssink.internal.chaos.FaultProxy;
import io.wssink.internal.receiver.ReceiverConfig;
import io.wssink.internal.receiver.ReferenceReceiver;
import io.wssink.testing.ConnectProxy;
import io.wssink.testing.Output;
import io.wssink.testing.TestCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/** The send command's sink options, parsed as picocli parses them, against a real receiver. */
class SinkOptionsTest {
    @TempDir
    Path tmp;

    static SinkOptions parse(String... args) {
        SendCommand send = new SendCommand();
        new CommandLine(send).parseArgs(args);
        return send.options;
    }

    @Test
    void tokenFileAndHeaderFileAreReadAgainAtEveryAttempt() throws Exception {
        Path token = tmp.resolve("token");
        Path tenant = tmp.resolve("tenant");
        Files.writeString(token, "stale\n");
        Files.writeString(tenant, "X-Tenant: blue\n");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(tmp.resolve("out")).token("fresh").build())) {
            List<String> args = new ArrayList<>(List.of("--url", receiver.url(), "--spool", tmp.resolve("spool").toString(),
                    "--token-file", token.toString(), "--header-file", tenant.toString(),
                    "--backoff-initial", "PT0.01S", "--backoff-max", "PT0.1S"));
            try (WebSocketSink sink = parse(args.toArray(String[]::new)).builder().build()) {
                long id = sink.write("x");
                await().atMost(Duration.ofSeconds(30)).until(() -> sink.status().failedAttempts() >= 2);
                assertTrue(sink.status().lastError().contains("401"), sink.status().lastError());
                Files.writeString(token, "fresh\n");
                sink.acked(id).get(30, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void noProxyNamesHostsReachedDirectlyDespiteTheProxy() throws Exception {
        // the proxy is port 1 on loopback, which refuses: only a direct connection delivers
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(tmp.resolve("out")).build());
             WebSocketSink sink = parse("--url", receiver.url(), "--spool", tmp.resolve("spool").toString(),
                     "--proxy", "http://127.0.0.1:1", "--no-proxy", "localhost,127.0.0.1").builder().build()) {
            sink.acked(sink.write("direct")).get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void clientCertAndKeyPresentACertificateToAReceiverThatRequiresOne() throws Exception {
        TestCertificates certs = new TestCertificates();
        TestCertificates.Server server = certs.server("127.0.0.1");
        Path cert = tmp.resolve("client.pem");
        Path key = tmp.resolve("client.key");
        TestCertificates.writePem(certs.client("cli"), cert, key);
        SslContext ssl = SslContextBuilder.forServer(server.keys().getPrivate(), server.cert(), certs.ca)
                .trustManager(certs.ca).clientAuth(ClientAuth.REQUIRE).build();
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(tmp.resolve("out")).ssl(ssl).build());
             WebSocketSink sink = parse("--url", receiver.url(), "--spool", tmp.resolve("spool").toString(),
                     "--trust", certs.writeCa(tmp.resolve("ca.pem")).toString(),
                     "--client-cert", cert.toString(), "--client-key", key.toString()).builder().build()) {
            sink.acked(sink.write("x")).get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void maxEventAgeSkipsWhatAgedWhileTheReceiverWasUnreachable() throws Exception {
        Path out = tmp.resolve("out");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).build());
             FaultProxy link = new FaultProxy(0);
             WebSocketSink sink = parse("--url", link.url(), "--spool", tmp.resolve("spool").toString(),
                     "--max-event-age", "PT0.5S", "--backoff-initial", "PT0.01S", "--backoff-max", "PT0.1S")
                     .builder().build()) {
            sink.write("old");
            long aged = System.currentTimeMillis() + 550;
            await().atMost(Duration.ofSeconds(10)).until(() -> System.currentTimeMillis() > aged);
            long fresh = sink.write("fresh");
            link.target(receiver.port());
            sink.acked(fresh).get(30, TimeUnit.SECONDS);
            assertEquals(1, sink.status().spool().expiredEvents());
        }
        assertEquals(List.of("fresh"), Output.lines(out));
    }

    @Test
    void aClientCertWithoutItsKeyIsABadArgument() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse("--url", "wss://127.0.0.1:1/",
                "--spool", tmp.resolve("s").toString(), "--client-cert", "c.pem").builder());
        assertTrue(e.getMessage().contains("--client-key"), e.getMessage());
    }

    @Test
    void proxyTakesTheConnectionThroughAnHttpConnectProxy() throws Exception {
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(tmp.resolve("out")).build());
             ConnectProxy proxy = new ConnectProxy("u", "p");
             WebSocketSink sink = parse("--url", receiver.url(), "--spool", tmp.resolve("spool").toString(),
                     "--proxy", proxy.url("u:p").toString()).builder().build()) {
            sink.acked(sink.write("x")).get(30, TimeUnit.SECONDS);
            assertEquals(1, proxy.tunnels.get());
        }
    }

    @Test
    void aHeaderFileThatCannotBeReadIsABadArgumentNamingItsPath() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse("--url", "ws://127.0.0.1:1/",
                "--spool", tmp.resolve("s").toString(), "--header-file", tmp.resolve("nowhere").toString()).builder());
        assertTrue(e.getMessage().contains("cannot read header file " + tmp.resolve("nowhere")), e.getMessage());
    }
}
