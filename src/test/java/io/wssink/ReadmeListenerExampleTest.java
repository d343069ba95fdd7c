package io.wssink;

import io.wssink.internal.receiver.ReceiverConfig;
import io.wssink.internal.receiver.ReferenceReceiver;
import io.wssink.internal.receiver.console.Console;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/** The README's "A job that listens" example, as written there, told by the console to change batch, then to stop. */
class ReadmeListenerExampleTest {
    @TempDir
    Path tmp;

    /** The example's work: one item per permit the test gives (no sleeps, no guessing when a message landed). */
    private final Semaphore permits = new Semaphore(0);
    private final AtomicInteger processed = new AtomicInteger();

    private void process(int item, int n) throws InterruptedException {
        assertTrue(permits.tryAcquire(20, TimeUnit.SECONDS), "the test let item " + item + " go");
        processed.addAndGet(n);
    }

    @Test
    void theJobChangesItsBatchAndStopsWhenTold() throws Exception {
        Path out = tmp.resolve("out.txt");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).ui(true).build())) {
            String url = receiver.url();
            Path spool = tmp.resolve("job");
            int items = 1_000_000;
            AtomicReference<Throwable> failed = new AtomicReference<>();
            Thread job = new Thread(() -> {
                try {
                    // --- from README.md ---
                    AtomicBoolean stop = new AtomicBoolean();
                    AtomicInteger batch = new AtomicInteger(100);
                    try (WebSocketSink sink = WebSocketSink.builder().url(url).spool(spool)
                            .onMessage(m -> {                                     // "stop", or "batch 10"
                                String order = m.isText() ? m.text().strip() : "";
                                if (order.equals("stop")) {
                                    stop.set(true);                               // the loop ends after the current item
                                } else if (order.matches("batch [0-9]{1,6}")) {
                                    batch.set(Integer.parseInt(order.substring(6)));
                                }
                            })
                            .build()) {
                        int item = 0;
                        while (!stop.get() && item < items) {
                            int n = Math.min(batch.get(), items - item);
                            process(item, n);
                            item += n;
                            sink.write("{\"done\":" + item + ",\"batch\":" + n + "}");
                        }
                        long last = sink.write(stop.get() ? "{\"stopped\":" + item + "}" : "{\"finished\":" + item + "}");
                        sink.acked(last).get(30, TimeUnit.SECONDS);             // close() leaves in the spool what was not sent
                    }
                    // --- end ---
                } catch (Throwable t) {
                    failed.set(t);
                }
            }, "readme-job");
            job.start();
            Console console = receiver.console();
            await().atMost(Duration.ofSeconds(20)).until(() -> console.streamIds().size() == 1);
            String stream = console.streamIds().get(0);
            assertNotNull(console.post(stream, true, "batch 7".getBytes(StandardCharsets.UTF_8)));
            // the order lands between two items: let them go one by one until the job works in batches of 7
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                permits.release();
                return Files.readString(out).contains(",\"batch\":7}");
            });
            assertNotNull(console.post(stream, true, "stop".getBytes(StandardCharsets.UTF_8)));
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                permits.release();
                return !job.isAlive();
            });
            assertNull(failed.get());
            List<String> lines = Files.readAllLines(out);
            int first7 = lines.indexOf(lines.stream().filter(l -> l.endsWith(",\"batch\":7}")).findFirst().orElseThrow());
            for (String l : lines.subList(first7, lines.size() - 1)) {
                assertTrue(l.endsWith(",\"batch\":7}"), "once told, every batch is 7: " + lines);
            }
            assertTrue(lines.get(lines.size() - 1).startsWith("{\"stopped\":"), lines.toString());
            assertTrue(processed.get() < items, "stopped long before the end");
        }
    }
}
