package io.wssink.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * 5. Memory: the largest heap in use after a (forced) GC while a backlog of more than 2 GiB on disk drains
 * ({@code events} x {@code size} bytes), reported as the counter {@code heapAfterGcMiB}. The GCs slow the drain; its
 * time here is not the drain rate (that is {@link DrainBenchmark}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 0)
@Measurement(iterations = 2)
@Fork(value = 1, jvmArgsAppend = {Flags.E1, Flags.E2, Flags.E3, Flags.E4, Flags.O1, Flags.O2, Flags.O3, Flags.O4,
        Flags.O5, Flags.O6, Flags.NO_ANALYTICS, Flags.QUIET})
public class MemoryBenchmark extends DrainLifecycle {
    @Param({"2200000"})
    long events;

    @Param({"1024"})
    int size;

    @AuxCounters(AuxCounters.Type.EVENTS)
    @State(Scope.Thread)
    public static class Heap {
        public long heapAfterGcMiB;
    }

    @Override
    protected DrainRun newRun() {
        return new DrainRun(events, size, true);
    }

    @Benchmark
    public void drainWhileSamplingHeap(Heap heap) throws Exception {
        heap.heapAfterGcMiB = run.drain();
    }
}
