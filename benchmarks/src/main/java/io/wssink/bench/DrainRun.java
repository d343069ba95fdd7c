package io.wssink.bench;

import io.wssink.WebSocketSink;
import io.wssink.internal.receiver.ReferenceReceiver;
import io.wssink.internal.spool.Spool;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Draining a prepared backlog from a freshly opened sink into a fresh receiver, optionally sampling the heap: a
 * forced GC every 500 ms, then the heap in use (the receiver runs in the same JVM and is included).
 */
final class DrainRun {
    private final long events;
    private final int size;
    private final boolean sampleHeap;
    private final AtomicLong maxHeap = new AtomicLong();
    private Path dir;
    private Path spool;
    private long last;
    private ReferenceReceiver receiver;
    private WebSocketSink sink;
    private volatile boolean sampling;
    private Thread sampler;

    DrainRun(long events, int size, boolean sampleHeap) {
        this.events = events;
        this.size = size;
        this.sampleHeap = sampleHeap;
    }

    void prepare() {
        dir = Dirs.create("wssink-bench-drain");
        spool = dir.resolve("spool");
        Backlogs.prepare(spool, events, size, 0);
        last = Backlogs.lastId(spool);
    }

    void beforeIteration() throws Exception {
        Backlogs.resetCursor(spool, Spool.NONE);
        receiver = Backlogs.receiver(dir);
        maxHeap.set(0);
        if (sampleHeap) {
            sampling = true;
            MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
            sampler = new Thread(() -> {
                while (sampling) {
                    System.gc();
                    maxHeap.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
                    try {
                        Thread.sleep(500); // the sampling period
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "heap-sampler");
            sampler.setDaemon(true);
            sampler.start();
        }
    }

    /** Drains everything; returns the largest heap after GC seen, in MiB (0 when not sampling). */
    long drain() throws Exception {
        sink = Backlogs.sink(spool, receiver);
        sink.acked(last).get(10, TimeUnit.MINUTES);
        return maxHeap.get() >> 20;
    }

    void afterIteration() throws Exception {
        sampling = false;
        if (sampler != null) {
            sampler.interrupt();
        }
        sink.close();
        receiver.close();
        Dirs.delete(receiver.store().output());
    }

    void delete() {
        Dirs.delete(dir);
    }
}
