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
 *
 * <p>Each iteration appends into fresh files, deleted after it: after a few GB of dirty mapped pages the machine
 * slows every writer down by half or more (seen here on disk and on tmpfs alike), and an iteration that starts in
 * that state measures the kernel's page handling rather than the append path, at a ratio that depends on when it
 * started.
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

    /** The bytes of wssink's record header (CRC, format, kind, time, length): see docs/SPOOL.md. */
    static final int RECORD_HEADER_BYTES = 18;

    private byte[] payload;
    private byte[] recordSized;
    /** {@code size} ASCII characters: {@code size} bytes in UTF-8. */
    private String ascii;
    /** Non-ASCII text of about {@code size} bytes in UTF-8 (two bytes each for 'é', three for '€'). */
    private String nonAscii;
    private Path dir;
    private WebSocketSink sink;
    private SingleChronicleQueue bare;
    private ExcerptAppender appender;

    @Setup(Level.Iteration)
    public void open() {
        payload = new byte[size];
        recordSized = new byte[size + RECORD_HEADER_BYTES];
        ascii = "x".repeat(size);
        nonAscii = "é€".repeat(size / 5) + "x".repeat(size % 5);
        dir = Dirs.create("wssink-bench-append");
        sink = WebSocketSink.builder().url("ws://127.0.0.1:1/").spool(dir.resolve("spool"))
                .maxSpoolBytes(64L << 30).build();
        bare = SingleChronicleQueueBuilder.binary(dir.resolve("bare")).rollCycle(RollCycles.FAST_HOURLY)
                .blockSize(16L << 20).build();
        appender = bare.createAppender();
    }

    @TearDown(Level.Iteration)
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

    /** write(CharSequence) of ASCII text: its allocation (-prof gc) must be 0 B/op, as for bytes (issue 17). */
    @Benchmark
    public long wssinkWriteAscii() {
        return sink.write(ascii);
    }

    /** write(CharSequence) of text that needs multi-byte UTF-8: 0 B/op too. */
    @Benchmark
    public long wssinkWriteNonAscii() {
        return sink.write(nonAscii);
    }

    @Benchmark
    public long chronicleBareAppend() {
        return bareAppend(appender, payload);
    }

    /** A second anchor: bare Chronicle writing as many bytes as wssink stores (payload and header), to tell the cost
     * of the header's bytes from the cost of the work. */
    @Benchmark
    public long chronicleBareAppendRecordSize() {
        return bareAppend(appender, recordSized);
    }

    /**
     * The bare Chronicle append every append anchor makes (here and in {@link ProducersBenchmark}): one document
     * holding {@code bytes}.
     */
    static long bareAppend(ExcerptAppender appender, byte[] bytes) {
        try (DocumentContext dc = appender.writingDocument()) {
            dc.wire().bytes().write(bytes);
        }
        return appender.lastIndexAppended();
    }
}
