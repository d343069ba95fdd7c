package io.wssink.bench;

import io.wssink.WebSocketSink;
import io.wssink.internal.receiver.ReceiverConfig;
import io.wssink.internal.receiver.ReferenceReceiver;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * 11. Many producers: 1, 2 and 4 threads writing 100 B events into one sink; JMH sums the threads' ops, so each
 * score is the sink's total events/s. The anchor is {@link #threads1}. Goal (issue 17): no collapse, 4 threads at
 * least 1.0x one thread, on a 2-core machine.
 * <p>{@code receiver=false}: the sink points at a port where nothing listens (the append path alone, as
 * {@link AppendBenchmark}); {@code receiver=true}: a reference receiver in the same JVM takes what the forwarder
 * sends, so the writers share the cores with the forwarder and the event loops, as in a program. Fresh files each
 * iteration (see {@link AppendBenchmark} for why).
 * <p>{@code chronicleThreads1/2/4} (run with {@code receiver=false}; the receiver does not touch them): bare Chronicle,
 * each thread its own appender on one queue, serialised by Chronicle's own write lock, no monitor of ours: the design
 * issue 17 item 3 proposes for the spool, so its ratios are what that design would reach at best here.
 * <p>Two processes appending to one spool (docs/SPOOL.md allows it: appends need no lock, Chronicle serialises them
 * across processes) are measured by {@link TwoProcessAppend}, a harness: JMH forks one JVM per trial.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {Flags.E1, Flags.E2, Flags.E3, Flags.E4, Flags.O1, Flags.O2, Flags.O3, Flags.O4,
        Flags.O5, Flags.O6, Flags.NO_ANALYTICS, Flags.QUIET})
public class ProducersBenchmark {
    @Param({"false", "true"})
    boolean receiver;

    private final byte[] payload = new byte[100];
    private Path dir;
    private ReferenceReceiver server;
    private WebSocketSink sink;
    private SingleChronicleQueue bare;

    /** One appender per thread on the shared bare queue (Chronicle's appenders are single-threaded). */
    @State(Scope.Thread)
    public static class BareAppender {
        ExcerptAppender appender;

        @Setup(Level.Iteration)
        public void open(ProducersBenchmark b) {
            appender = b.bare.createAppender();
        }

        @TearDown(Level.Iteration)
        public void close() {
            appender.close(); // closing it after its queue (JMH does not order the two tear-downs) is a no-op
        }
    }

    @Setup(Level.Iteration)
    public void open() throws Exception {
        Arrays.fill(payload, (byte) 'x');
        dir = Dirs.create("wssink-bench-producers");
        String url = "ws://127.0.0.1:1/";
        if (receiver) {
            server = ReferenceReceiver.start(ReceiverConfig.builder(dir.resolve("out.bin")).binary(true)
                    .fsync(ReceiverConfig.Fsync.NEVER).build());
            url = server.url();
        }
        sink = WebSocketSink.builder().url(url).spool(dir.resolve("spool")).maxSpoolBytes(64L << 30).build();
        bare = SingleChronicleQueueBuilder.binary(dir.resolve("bare")).rollCycle(RollCycles.FAST_HOURLY)
                .blockSize(16L << 20).build();
    }

    @TearDown(Level.Iteration)
    public void close() throws Exception {
        sink.close();
        bare.close();
        if (server != null) {
            server.close();
            server = null;
        }
        Dirs.delete(dir);
    }

    @Benchmark
    @Threads(1)
    public long threads1() {
        return sink.write(payload);
    }

    @Benchmark
    @Threads(2)
    public long threads2() {
        return sink.write(payload);
    }

    @Benchmark
    @Threads(4)
    public long threads4() {
        return sink.write(payload);
    }

    @Benchmark
    @Threads(1)
    public long chronicleThreads1(BareAppender a) {
        return AppendBenchmark.bareAppend(a.appender, payload);
    }

    @Benchmark
    @Threads(2)
    public long chronicleThreads2(BareAppender a) {
        return AppendBenchmark.bareAppend(a.appender, payload);
    }

    @Benchmark
    @Threads(4)
    public long chronicleThreads4(BareAppender a) {
        return AppendBenchmark.bareAppend(a.appender, payload);
    }
}
