package io.wssink.bench;

import io.wssink.WebSocketSink;
import io.wssink.internal.receiver.ReferenceReceiver;
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

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * 3. Resume: time from opening a spool whose cursor has {@code backlog} unacknowledged events after it to the
 * receiver's first record. The anchor is a backlog of 1. Both spools have 1000 acknowledged events before the
 * cursor, so the reader resumes through Chronicle's index, not from the start.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 10)
@Fork(value = 1, jvmArgsAppend = {Flags.E1, Flags.E2, Flags.E3, Flags.E4, Flags.O1, Flags.O2, Flags.O3, Flags.O4,
        Flags.O5, Flags.O6, Flags.NO_ANALYTICS, Flags.QUIET})
public class ResumeBenchmark {
    @Param({"1", "5000000"})
    long backlog;

    private Path dir;
    private Path spool;
    private long cursor;
    private ReferenceReceiver receiver;
    private WebSocketSink sink;

    @Setup(Level.Trial)
    public void prepare() {
        dir = Dirs.create("wssink-bench-resume");
        spool = dir.resolve("spool");
        cursor = Backlogs.prepare(spool, 1000 + backlog, 100, 1000);
    }

    @Setup(Level.Iteration)
    public void rewind() throws Exception {
        Backlogs.resetCursor(spool, cursor);
        receiver = Backlogs.receiver(dir);
    }

    @Benchmark
    public long firstFrame() {
        sink = Backlogs.sink(spool, receiver);
        while (receiver.store().records() == 0) {
            Thread.onSpinWait();
        }
        return receiver.store().records();
    }

    @TearDown(Level.Iteration)
    public void stop() throws Exception {
        sink.close();
        receiver.close();
    }

    @TearDown(Level.Trial)
    public void delete() {
        Dirs.delete(dir);
    }
}
