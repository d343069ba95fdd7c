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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Spec section 6: a plain server sends nothing unprompted but pongs, so a raw-mode link under steady traffic must
 * ping whatever it sends, or it is cut every interval + timeout.
 */
class RawLivenessTest {
    @TempDir
    Path tmp;

    @Test
    void aBusyRawLinkStaysUpForManyPingIntervals() throws Exception {
        Path out = tmp.resolve("out.txt");
        // a timeout that a GC or JIT pause on a loaded machine does not reach; the traffic lasts 3 times what cut
        // the link before (interval + timeout), so the old handler reconnected at least twice
        Duration interval = Duration.ofMillis(250);
        Duration timeout = Duration.ofMillis(1500);
        long trafficNanos = 3 * interval.plus(timeout).toNanos();
        int written = 0;
        try (ReferenceReceiver plain = ReferenceReceiver.start(ReceiverConfig.builder(out).build());
             WebSocketSink sink = WebSocketSink.builder().url(plain.url()).mode(Mode.RAW).spool(tmp.resolve("spool"))
                     .ping(interval, timeout).backoff(Duration.ofMillis(10), Duration.ofMillis(100)).build()) {
            long start = System.nanoTime();
            while (System.nanoTime() - start < trafficNanos) { // the length of the traffic, not a check
                sink.acked(sink.write("event-" + written++)).get(30, TimeUnit.SECONDS); // on the socket
            }
            assertEquals(1, sink.status().connections(), sink.status().toString());
            assertEquals(0, sink.status().failedAttempts(), sink.status().toString());
        }
        assertTrue(written > 10, written + " events written");
        Output.assertExactly(out, "event-", written);
    }
}
