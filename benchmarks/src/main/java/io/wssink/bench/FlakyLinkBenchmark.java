package io.wssink.bench;

import io.wssink.WebSocketSink;
import io.wssink.internal.chaos.FaultProxy;
import io.wssink.internal.receiver.ReceiverConfig;
import io.wssink.internal.receiver.ReferenceReceiver;
import io.wssink.protocol.ConnectionState;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * 9. A flaky link: acknowledged events per second through a proxy that cuts every connection after a number of
 * bytes from the sink, against the same proxy that never cuts (the anchor, same run, same fsync). 100 B events are
 * 112 bytes on the wire, so 336,000 bytes is a cut about every 3,000 records; the goal is at least 0.5x of the
 * uncut link.
 * Events are written and waited for as in {@link EndToEndBenchmark}: a batch per invocation, the batch
 * {@link EndToEndBenchmark#WINDOW} batches back awaited.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 5, time = 4)
@Fork(value = 1, jvmArgsAppend = {Flags.E1, Flags.E2, Flags.E3, Flags.E4, Flags.O1, Flags.O2, Flags.O3, Flags.O4,
        Flags.O5, Flags.O6, Flags.NO_ANALYTICS, Flags.QUIET})
@State(Scope.Benchmark)
public class FlakyLinkBenchmark {
    static final int BATCH = EndToEndBenchmark.BATCH;
    static final int WINDOW = EndToEndBenchmark.WINDOW;

    /**
     * Bytes from the sink after which the proxy cuts each connection; 0 never cuts. 336,000 is about 3,000 records,
     * 3,360,000 about 30,000.
     */
    @Param({"0", "336000", "3360000"})
    long cutEveryBytes;

    /** The receiver's --fsync: "always" adds a group commit with fsync to every connection's resume ack. */
    /** The receiver also acks at the end of each read burst (its default since 2026-11-26), or only every 100 ms. */
    @Param({"true", "false"})
    boolean ackOnReadComplete;

    @Param({"never", "always"})
    String fsync;

    private final byte[] payload = new byte[100];
    private final long[] window = new long[WINDOW];
    private int turn;
    private Path dir;
    private ReferenceReceiver receiver;
    private FaultProxy proxy;
    private WebSocketSink sink;

    @Setup(Level.Iteration)
    public void start() throws Exception {
        Arrays.fill(payload, (byte) 'x');
        Arrays.fill(window, 0);
        turn = 0;
        dir = Dirs.create("wssink-bench-flaky");
        receiver = ReferenceReceiver.start(ReceiverConfig.builder(dir.resolve("out.bin")).binary(true)
                .fsync(ReceiverConfig.Fsync.valueOf(fsync.toUpperCase(Locale.ROOT)))
                .ackOnReadComplete(ackOnReadComplete).build());
        proxy = new FaultProxy(receiver.port());
        proxy.cutEveryBytes(cutEveryBytes);
        sink = WebSocketSink.builder().url(proxy.url()).spool(dir.resolve("spool")).maxSpoolBytes(64L << 30)
                .maxInFlightBytes(16L << 20).build();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (sink.status().state() != ConnectionState.CONNECTED) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the sink did not connect: " + sink.status());
            }
            LockSupport.parkNanos(1_000_000);
        }
    }

    @TearDown(Level.Iteration)
    public void stop() throws Exception {
        sink.close();
        proxy.close();
        receiver.close();
        Dirs.delete(dir);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void wssinkAck() {
        EndToEndBenchmark.batchInWindow(sink, payload, window, turn++);
    }
}
