package io.wssink.internal.receiver;

import io.wssink.Sinks;
import io.wssink.WebSocketSink;
import io.wssink.internal.transport.TransportConfig;
import io.wssink.testing.CapturedStderr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/** A bearer token is required by the receiver, and neither side ever logs a secret. */
class SecretsTest {
    @TempDir
    Path tmp;

    @Test
    void aWrongTokenGets401AndNoSecretReachesALogAStatusOrAnError() throws Exception {
        String status;
        String logs;
        try (CapturedStderr err = new CapturedStderr(); ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(tmp.resolve("out.txt"))
                .token("right-token-5ecret").build())) {
            try (WebSocketSink sink = WebSocketSink.builder().url(receiver.url() + "?access_token=query-5ecret")
                    .spool(tmp.resolve("spool")).header("Authorization", "Bearer wrong-token-5ecret")
                    .header("X-Api-Key", "api-key-5ecret").backoff(Duration.ofMillis(10), Duration.ofMillis(50))
                    .build()) {
                sink.write("event");
                await().atMost(Duration.ofSeconds(30)).until(() -> sink.status().failedAttempts() >= 3);
                status = sink.status().toString();
                assertEquals("handshake refused: HTTP 401 Unauthorized", sink.status().lastError());
                assertEquals(0, receiver.store().records());
            }
            try (WebSocketSink sink = WebSocketSink.builder().url(receiver.url()).spool(tmp.resolve("spool"))
                    .header("Authorization", "Bearer right-token-5ecret").build()) {
                sink.acked(sink.status().spool().lastId()).get(30, TimeUnit.SECONDS);
                assertEquals(1, receiver.store().records(), "the spooled event went through with the right token");
            }
            logs = err.text();
        }
        assertTrue(logs.contains("handshake refused: HTTP 401"), "the logs were captured: " + logs);
        for (String text : new String[] {logs, status}) {
            assertFalse(text.contains("5ecret"), "a secret leaked into: " + text);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WebSocketSink.builder()
                .url("http://user:pa55-5ecret@example.com/?token=5ecret"));
        assertFalse(e.getMessage().contains("5ecret"), e.getMessage());
    }

    @Test
    void sinksOpenNeverEchoesUserInfoOrAQuery() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sinks.open(
                URI.create("ftp://user:pa55-5ecret@example.com/x?token=5ecret"), Map.of()));
        assertTrue(e.getMessage().contains("'ftp:'"), e.getMessage());
        assertFalse(e.getMessage().contains("5ecret"), e.getMessage());
    }

    @Test
    void anAuthorizationHeaderOverPlainWsToAnotherHostIsWarnedOfAndItsValueIsNotLogged() {
        String logs;
        try (CapturedStderr err = new CapturedStderr()) {
            TransportConfig.builder().url("ws://receiver.example:8080/")
                    .header("authorization", "Bearer 5ecret").build();
            TransportConfig.builder().url("wss://receiver.example:8080/")
                    .header("Authorization", "Bearer 5ecret").build();
            TransportConfig.builder().url("ws://127.0.0.1:8080/").url("ws://[::1]:8080/")
                    .url("ws://localhost:8080/").header("Authorization", "Bearer 5ecret").build();
            TransportConfig.builder().url("ws://receiver.example:8080/")
                    .header("X-Trace", "1").build();
            logs = err.text();
        }
        assertEquals(1, logs.lines().filter(l -> l.contains("clear text over ws://")).count(), logs);
        assertTrue(logs.contains("to receiver.example"), logs);
        assertFalse(logs.contains("5ecret"), logs);
    }
}
