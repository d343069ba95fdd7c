package io.wssink.forward;

import io.wssink.WebSocketSink;
import io.wssink.receiver.ReceiverConfig;
import io.wssink.receiver.ReferenceReceiver;
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
    void aReceiverRestartedMidStreamLosesNothingAndItsResumeAckIsHonoured() throws Exception {
        Path out = tmp.resolve("out.txt");
        int n = 20_000;
        ReferenceReceiver first = ReferenceReceiver.start(ReceiverConfig.builder(out).build());
        int port = first.port();
        try (WebSocketSink sink = WebSocketSink.builder().url(first.url()).spool(tmp.resolve("spool"))
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
            try (ReferenceReceiver second = ReferenceReceiver.start(ReceiverConfig.builder(out).port(port).build())) {
                sink.acked(last).get(60, TimeUnit.SECONDS);
                assertEquals(0, second.store().duplicates(), "the resume ack skipped the " + held + " held events");
            }
        }
        Output.assertExactly(out, "event-", n);
    }
}
