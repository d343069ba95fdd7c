package io.wssink.internal.forward;

import io.wssink.WebSocketSink;
import io.wssink.internal.chaos.FaultProxy;
import io.wssink.internal.receiver.ReceiverConfig;
import io.wssink.internal.receiver.ReferenceReceiver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

class FailoverTest {
    @TempDir
    Path tmp;

    @Test
    void movesToTheSecondUrlWhileTheFirstIsDownAndBackAfterItReturns() throws Exception {
        // The first URL is a proxy that stays bound: refused while it points at port 0, the first receiver's later.
        // (A port freed to mean "down" could be taken by anyone before the receiver binds it again.)
        try (FaultProxy firstUrl = new FaultProxy(0);
             ReferenceReceiver second = ReferenceReceiver.start(ReceiverConfig.builder(tmp.resolve("second.txt")).build());
             WebSocketSink sink = WebSocketSink.builder().url(firstUrl.url()).url(second.url())
                     .spool(tmp.resolve("spool")).backoff(Duration.ofMillis(10), Duration.ofMillis(100))
                     .failbackAfter(Duration.ofMillis(500)).build()) {
            sink.acked(sink.write("via-second")).get(30, TimeUnit.SECONDS);
            // stored once; a failback due before the ack came (a loaded machine) may have resent it, once
            assertEquals(1, second.store().records() - second.store().duplicates());
            assertTrue(second.store().duplicates() <= 1, "duplicates: " + second.store().duplicates());
            try (ReferenceReceiver first = ReferenceReceiver.start(ReceiverConfig.builder(tmp.resolve("first.txt"))
                    .build())) {
                firstUrl.target(URI.create(first.url()).getPort());
                await().atMost(Duration.ofSeconds(30)).until(() -> first.connections() >= 1);
                sink.acked(sink.write("via-first")).get(30, TimeUnit.SECONDS);
                assertEquals(firstUrl.url(), sink.status().url());
                assertEquals(1, first.store().records() - first.store().duplicates(),
                        "the first receiver got the new event");
                assertTrue(first.store().duplicates() <= 1, "duplicates: " + first.store().duplicates());
            }
        }
    }
}
