package io.wssink.bench;

import io.wssink.WebSocketSink;
import io.wssink.receiver.ReferenceReceiver;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * 4. Drain after restart: the time to deliver a backlog of {@code events} events of {@code size} bytes from a spool
 * opened afresh, through the reference receiver; events/s = events / time, to set against the live rate of
 * {@link EndToEndBenchmark#wssinkAck}.
 * <p>5. Memory: while it drains, a sampler forces a GC every 500 ms and records the heap in use after it; the
 * largest is reported as the counter {@code heapAfterGcMiB} (the receiver runs in the same JVM and is included). Run
 * with {@code -p events=2200000 -p size=1024 -p sampleHeap=true} for a backlog of more than 2 GiB on disk.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {Flags.E1, Flags.E2, Flags.E3, Flags.E4, Flags.O1, Flags.O2, Flags.O3, Flags.O4,
        Flags.O5, Flags.O6, Flags.NO_ANALYTICS, Flags.QUIET})
public class DrainBenchmark {
    @Param({"5000000"})
    long events;

    @Param({"100"})
    int size;

    /** Sampling forces GCs, which slow the drain: the rate (4) is measured without it, the heap (5) with it. */
    @Param({"false"})
    boolean sampleHeap;

    private Path dir;
    private Path spool;
    private long last;
    private ReferenceReceiver receiver;
    private WebSocketSink sink;
    private final AtomicLong maxHeap = new AtomicLong();
    private volatile boolean sampling;
    private Thread sampler;

    @AuxCounters(AuxCounters.Type.EVENTS)
    @State(Scope.Thread)
    public static class Heap {
        public long heapAfterGcMiB;
    }

    @Setup(Level.Trial)
    public void prepare() {
        dir = Dirs.create("wssink-bench-drain");
        spool = dir.resolve("spool");
        Backlogs.prepare(spool, events, size, 0);
        last = Backlogs.lastId(spool);
    }

    @Setup(Level.Iteration)
    public void rewind() throws Exception {
        Backlogs.resetCursor(spool, io.wssink.spool.Spool.NONE);
        receiver = Backlogs.receiver(dir);
        maxHeap.set(0);
        sampling = sampleHeap;
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        sampler = new Thread(() -> {
            while (sampling) {
                System.gc();
                maxHeap.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "heap-sampler");
        sampler.setDaemon(true);
        if (sampleHeap) {
            sampler.start();
        }
    }

    @Benchmark
    public void drain(Heap heap) throws Exception {
        sink = Backlogs.sink(spool, receiver);
        sink.acked(last).get(10, TimeUnit.MINUTES);
        heap.heapAfterGcMiB = maxHeap.get() >> 20;
    }

    @TearDown(Level.Iteration)
    public void stop() throws Exception {
        sampling = false;
        sampler.interrupt();
        sink.close();
        receiver.close();
        Dirs.delete(receiver.store().output().getParent().resolve(receiver.store().output().getFileName()));
    }

    @TearDown(Level.Trial)
    public void delete() {
        Dirs.delete(dir);
    }
}
