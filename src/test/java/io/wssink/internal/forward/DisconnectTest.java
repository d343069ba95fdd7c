package io.wssink.internal.forward;

import io.wssink.WebSocketSink;
import io.wssink.internal.chaos.FaultProxy;
import io.wssink.internal.receiver.ReceiverConfig;
import io.wssink.internal.receiver.ReferenceReceiver;
import io.wssink.testing.Output;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Connections cut, delayed and blackholed by a proxy: nothing lost, nothing twice after the receiver's dedupe, and
 * what is resent after a cut stays within what was in flight.
 */
class DisconnectTest {
    @TempDir
    Path tmp;

    private WebSocketSink.Builder sink(FaultProxy proxy) {
        return WebSocketSink.builder().url(proxy.url()).spool(tmp.resolve("spool"))
                .backoff(Duration.ofMillis(10), Duration.ofMillis(200))
                .maxFrameBytes(4096).maxInFlightBytes(64 << 10);
    }

    @Test
    void connectionsCutEveryFewThousandEventsLoseNothingAndResendNothingAlreadyAcked() throws Exception {
        Path out = tmp.resolve("out.txt");
        int n = 30_000;
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).build());
             FaultProxy proxy = new FaultProxy(receiver.port());
             WebSocketSink sink = sink(proxy).build()) {
            proxy.cutEveryBytes(60_000); // about every 3000 events of ~20 bytes
            long last = 0;
            for (int i = 0; i < n; i++) {
                last = sink.write("event-" + i);
            }
            sink.acked(last).get(120, TimeUnit.SECONDS);
            assertTrue(proxy.cuts() >= 5, "the proxy cut " + proxy.cuts() + " times; " + sink.status());
            assertTrue(sink.status().failedAttempts() >= 5);
            assertEquals(0, sink.status().protocolErrors(), "no reconnect confuses a resume ack with a late one");
            // The sink resends from its cursor at once (it never waits for a resume ack), so each reconnect may
            // resend what was in flight: at most 64 KiB of records of at least 7 bytes each.
            long window = (64 << 10) / 7 + 1;
            long reconnects = sink.status().connections() - 1;
            assertTrue(receiver.store().duplicates() <= reconnects * window, receiver.store().duplicates()
                    + " duplicates dropped in " + reconnects + " reconnects");
        }
        Output.assertExactly(out, "event-", n);
    }

    @Test
    void delayedTrafficStillArrivesInOrder() throws Exception {
        Path out = tmp.resolve("out.txt");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).build());
             FaultProxy proxy = new FaultProxy(receiver.port());
             WebSocketSink sink = sink(proxy).build()) {
            proxy.delay(50);
            long last = 0;
            for (int i = 0; i < 5_000; i++) {
                last = sink.write("event-" + i);
            }
            sink.acked(last).get(60, TimeUnit.SECONDS);
        }
        Output.assertExactly(out, "event-", 5_000);
    }

    @Test
    void aBlackholedLinkIsFoundByThePingTimeoutAndNothingIsLost() throws Exception {
        Path out = tmp.resolve("out.txt");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).build());
             FaultProxy proxy = new FaultProxy(receiver.port());
             WebSocketSink sink = sink(proxy).ping(Duration.ofMillis(200), Duration.ofMillis(300))
                     .handshakeTimeout(Duration.ofMillis(500)).build()) {
            sink.acked(sink.write("event-0")).get(30, TimeUnit.SECONDS);
            proxy.blackhole(true);
            long last = 0;
            for (int i = 1; i < 1000; i++) {
                last = sink.write("event-" + i);
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> sink.status().lastError() != null
                    && sink.status().lastError().contains("half-open"));
            assertTrue(sink.status().spool().backlogEvents() > 0, "nothing acked through a blackhole");
            proxy.blackhole(false);
            sink.acked(last).get(60, TimeUnit.SECONDS);
        }
        Output.assertExactly(out, "event-", 1000);
    }
}
