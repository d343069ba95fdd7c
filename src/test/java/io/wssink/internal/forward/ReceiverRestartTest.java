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

class ReceiverRestartTest {
    @TempDir
    Path tmp;

    @Test
    void aReceiverRestartedMidStreamLosesNothingAndResendsAtMostOneWindow() throws Exception {
        Path out = tmp.resolve("out.txt");
        int n = 20_000;
        // the sink's URL is a proxy that stays bound, pointed at each receiver in turn: a receiver's freed port
        // could be taken by anyone before the next one binds it again
        ReferenceReceiver first = ReferenceReceiver.start(ReceiverConfig.builder(out).build());
        try (FaultProxy url = new FaultProxy(first.port());
             WebSocketSink sink = WebSocketSink.builder().url(url.url()).spool(tmp.resolve("spool"))
                     .maxFrameBytes(4096).maxInFlightBytes(4096)
                     .backoff(Duration.ofMillis(10), Duration.ofMillis(100)).build()) {
            for (int i = 0; i < n / 2; i++) {
                sink.write("event-" + i);
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> first.store().records() > 1000);
            first.close();
            long held = Output.lines(out).size();
            long last = 0;
            for (int i = n / 2; i < n; i++) {
                last = sink.write("event-" + i);
            }
            try (ReferenceReceiver second = ReferenceReceiver.start(ReceiverConfig.builder(out).build())) {
                url.target(second.port());
                sink.acked(last).get(60, TimeUnit.SECONDS);
                // sending starts from the cursor at once; the resume ack then moves it past what the receiver
                // held, so what comes twice is at most one in-flight window of records of at least 7 bytes
                assertTrue(second.store().duplicates() <= 4096 / 7 + 1, second.store().duplicates()
                        + " duplicates of the " + held + " events held");
                assertEquals(0, sink.status().protocolErrors());
            }
        }
        Output.assertExactly(out, "event-", n);
    }
}
