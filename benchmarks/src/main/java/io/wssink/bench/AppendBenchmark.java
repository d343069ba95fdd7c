package io.wssink.bench;

import io.wssink.WebSocketSink;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;
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
 * 1. Append: {@code WebSocketSink.write} (the spool append: CRC32C, header, Chronicle document, counters) against a
 * bare Chronicle {@code writingDocument} of the same bytes. Run with {@code -prof gc} for bytes allocated per op.
 * The sink points at a port where nothing listens, so its forwarder only backs off and reads nothing.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {Flags.E1, Flags.E2, Flags.E3, Flags.E4, Flags.O1, Flags.O2, Flags.O3, Flags.O4,
        Flags.O5, Flags.O6, Flags.NO_ANALYTICS, Flags.QUIET})
public class AppendBenchmark {
    @Param({"100", "1024"})
    int size;

    private byte[] payload;
    private Path dir;
    private WebSocketSink sink;
    private SingleChronicleQueue bare;
    private ExcerptAppender appender;

    @Setup(Level.Trial)
    public void open() {
        payload = new byte[size];
        dir = Dirs.create("wssink-bench-append");
        sink = WebSocketSink.builder().url("ws://127.0.0.1:1/").spool(dir.resolve("spool"))
                .maxSpoolBytes(64L << 30).build();
        bare = SingleChronicleQueueBuilder.binary(dir.resolve("bare")).rollCycle(RollCycles.FAST_HOURLY)
                .blockSize(16L << 20).build();
        appender = bare.createAppender();
    }

    @TearDown(Level.Trial)
    public void close() {
        sink.close();
        appender.close();
        bare.close();
        Dirs.delete(dir);
    }

    @Benchmark
    public long wssinkWrite() {
        return sink.write(payload);
    }

    @Benchmark
    public long chronicleBareAppend() {
        try (DocumentContext dc = appender.writingDocument()) {
            dc.wire().bytes().write(payload);
        }
        return appender.lastIndexAppended();
    }
}
