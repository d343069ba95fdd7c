package io.wssink.internal.receiver;

import io.wssink.WebSocketSink;
import io.wssink.testing.ChildJvm;
import io.wssink.testing.Output;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/** A receiver killed with SIGKILL mid-stream and restarted: the output holds every event once. */
class ReceiverCrashTest {
    @TempDir
    Path tmp;

    private static String url(ChildJvm child, Path stderr) throws Exception {
        await().atMost(Duration.ofSeconds(60)).until(() -> child.lineCount() > 0 || !child.isAlive());
        assertTrue(child.isAlive(), "the receiver child died at start: " + Files.readString(stderr));
        String line = child.lines().get(0);
        assertTrue(line.startsWith("URL "), line);
        return line.substring(4);
    }

    @Test
    void aReceiverKilledMidStreamAndRestartedHoldsEveryEventOnce() throws Exception {
        Path out = tmp.resolve("out.txt");
        Path spool = tmp.resolve("spool");
        Path stderr = tmp.resolve("child.err");
        AtomicInteger written = new AtomicInteger();
        try (ChildJvm first = ChildJvm.start(ReceiverChild.class, stderr, out.toString())) {
            String url = url(first, stderr);
            try (WebSocketSink sink = WebSocketSink.builder().url(url).spool(spool)
                    .backoff(Duration.ofMillis(10), Duration.ofMillis(100)).drainTimeout(Duration.ofMillis(100))
                    .build()) {
                AtomicBoolean stop = new AtomicBoolean();
                Thread writer = new Thread(() -> {
                    while (!stop.get()) {
                        sink.write("event-" + written.getAndIncrement());
                    }
                }, "writer");
                writer.start();
                await().atMost(Duration.ofSeconds(60)).until(() -> Output.lines(out).size() > 2000);
                first.kill(); // SIGKILL, while the writer writes and frames are in flight
                stop.set(true);
                writer.join();
                assertTrue(sink.status().spool().backlogEvents() > 0, "killed mid-stream: events were unacked");
            }
        }
        long killedAt = Files.size(out);
        try (ChildJvm second = ChildJvm.start(ReceiverChild.class, stderr, out.toString());
             WebSocketSink sink = WebSocketSink.builder().url(url(second, stderr)).spool(spool)
                     .backoff(Duration.ofMillis(10), Duration.ofMillis(100)).build()) {
            long last = 0;
            int total = written.get();
            for (int i = total; i < total + 1000; i++) {
                last = sink.write("event-" + i);
            }
            written.set(total + 1000);
            sink.acked(last).get(60, TimeUnit.SECONDS);
        }
        assertTrue(killedAt > 0);
        Output.assertExactly(out, "event-", written.get());
    }
}
