package io.wssink.internal.forward;

import io.wssink.WebSocketSink;
import io.wssink.internal.receiver.ReceiverConfig;
import io.wssink.internal.receiver.ReferenceReceiver;
import io.wssink.protocol.Mode;
import io.wssink.testing.Output;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

class NegotiationTest {
    @TempDir
    Path tmp;

    @Test
    void autoFallsBackToRawAgainstAPlainWebSocketServerAndSaysSo() throws Exception {
        Path out = tmp.resolve("out.txt");
        try (ReferenceReceiver plain = ReferenceReceiver.start(ReceiverConfig.builder(out).speaksWssink(false).build());
             WebSocketSink sink = WebSocketSink.builder().url(plain.url()).spool(tmp.resolve("spool")).build()) {
            long last = 0;
            for (int i = 0; i < 1000; i++) {
                last = sink.write("event-" + i);
            }
            sink.acked(last).get(30, TimeUnit.SECONDS);
            assertEquals(Mode.RAW, sink.status().mode());
            assertTrue(sink.status().rawFallback());
            await().atMost(Duration.ofSeconds(10)).until(() -> Output.lines(out).size() == 1000);
        }
        Output.assertExactly(out, "event-", 1000);
    }

    @Test
    void ackModeRefusesAPlainServerClearlyRetriesAndKeepsTheSpool() throws Exception {
        Path out = tmp.resolve("out.txt");
        try (ReferenceReceiver plain = ReferenceReceiver.start(ReceiverConfig.builder(out).speaksWssink(false).build());
             WebSocketSink sink = WebSocketSink.builder().url(plain.url()).spool(tmp.resolve("spool")).mode(Mode.ACK)
                     .backoff(Duration.ofMillis(1), Duration.ofMillis(5)).build()) {
            for (int i = 0; i < 100; i++) {
                sink.write("event-" + i);
            }
            // many quick attempts: each must end and be counted (a handshake that failed before connect() returned
            // once went unreported, and the forwarder waited on it for ever)
            await().atMost(Duration.ofSeconds(60)).until(() -> sink.status().failedAttempts() >= 100);
            assertEquals("the endpoint selected no subprotocol (it does not speak wssink.v1); mode is ack, which never"
                    + " falls back to raw", sink.status().lastError());
            assertEquals(100, sink.status().spool().backlogEvents());
            assertEquals(0, plain.store().records());
        }
    }
}
