package io.wssink.forward;

import io.wssink.WebSocketSink;
import io.wssink.receiver.ReceiverConfig;
import io.wssink.receiver.ReferenceReceiver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
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
        int firstPort;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            firstPort = s.getLocalPort(); // free now, and nothing listens on it
        }
        try (ReferenceReceiver second = ReferenceReceiver.start(ReceiverConfig.builder(tmp.resolve("second.txt")).build());
             WebSocketSink sink = WebSocketSink.builder().url("ws://127.0.0.1:" + firstPort + "/").url(second.url())
                     .spool(tmp.resolve("spool")).backoff(Duration.ofMillis(10), Duration.ofMillis(100))
                     .failbackAfter(Duration.ofMillis(500)).build()) {
            sink.acked(sink.write("via-second")).get(30, TimeUnit.SECONDS);
            assertEquals(1, second.store().records());
            try (ReferenceReceiver first = ReferenceReceiver.start(ReceiverConfig.builder(tmp.resolve("first.txt"))
                    .port(firstPort).build())) {
                await().atMost(Duration.ofSeconds(30)).until(() -> first.connections() >= 1);
                sink.acked(sink.write("via-first")).get(30, TimeUnit.SECONDS);
                assertTrue(sink.status().url().endsWith(":" + firstPort + "/"));
                assertEquals(1, first.store().records(), "the first receiver got the new event");
            }
        }
    }
}
