package io.wssink.bench;

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
 * 4. Drain after restart: the time to deliver a backlog of {@code events} events of {@code size} bytes from a sink
 * opened afresh, through the reference receiver; events/s = events / time, to set against the live rate of
 * {@link EndToEndBenchmark#wssinkAck}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {Flags.E1, Flags.E2, Flags.E3, Flags.E4, Flags.O1, Flags.O2, Flags.O3, Flags.O4,
        Flags.O5, Flags.O6, Flags.NO_ANALYTICS, Flags.QUIET})
public class DrainBenchmark extends DrainLifecycle {
    @Param({"5000000"})
    long events;

    @Param({"100"})
    int size;

    @Override
    protected DrainRun newRun() {
        return new DrainRun(events, size, false);
    }

    @Benchmark
    public void drain() throws Exception {
        run.drain();
    }
}
