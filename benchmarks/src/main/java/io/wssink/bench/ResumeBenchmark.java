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
 * 3. Resume: time from opening a spool whose cursor has {@code backlog} unacknowledged events after it and
 * {@code ackedPrefix} acknowledged events before it to the receiver's first record. Both are varied, independently:
 * resume must be O(1) in both directions (issue 17, item 5: each ratio at most 1.5). The anchor is
 * {@code ackedPrefix=1000, backlog=1}; every other pair is set against it. Even the anchor's prefix is not empty, so
 * the reader always resumes through Chronicle's index, not from the start. The spools (up to 10M events, 1.2 GB) are
 * written once per trial.
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

    @Param({"1000", "5000000"})
    long ackedPrefix;

    private Path dir;
    private Path spool;
    private long cursor;
    private ReferenceReceiver receiver;
    private WebSocketSink sink;

    @Setup(Level.Trial)
    public void prepare() {
        dir = Dirs.create("wssink-bench-resume");
        spool = dir.resolve("spool");
        cursor = Backlogs.prepare(spool, ackedPrefix + backlog, 100, ackedPrefix);
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
