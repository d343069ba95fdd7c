package io.wssink.bench;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.wssink.WebSocketSink;
import io.wssink.micrometer.WssinkMetrics;
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
 * 1b. Append while metrics are read (issue 12: reading them must not slow {@code write}): AppendBenchmark's
 * {@code wssinkWrite} with {@link WssinkMetrics} bound and, when {@code scraped}, a thread reading every meter every
 * 10 ms, a hundred times more often than a usual scrape. Compare {@code scraped=true} with {@code scraped=false}
 * (bound, never read) and with AppendBenchmark.wssinkWrite.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {Flags.E1, Flags.E2, Flags.E3, Flags.E4, Flags.O1, Flags.O2, Flags.O3, Flags.O4,
        Flags.O5, Flags.O6, Flags.NO_ANALYTICS, Flags.QUIET})
public class ScrapedAppendBenchmark {
    @Param({"100"})
    int size;

    @Param({"false", "true"})
    boolean scraped;

    private byte[] payload;
    private Path dir;
    private WebSocketSink sink;
    private Thread scraper;
    /** Read by the scraper, so its reads are not dead code; set by it only. */
    volatile double blackhole;

    @Setup(Level.Iteration)
    public void open() {
        payload = new byte[size];
        dir = Dirs.create("wssink-bench-scraped");
        sink = WebSocketSink.builder().url("ws://127.0.0.1:1/").spool(dir.resolve("spool"))
                .maxSpoolBytes(64L << 30).build();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        WssinkMetrics.bind(sink, registry);
        if (scraped) {
            scraper = new Thread(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    double sum = 0;
                    for (Meter m : registry.getMeters()) {
                        for (var x : m.measure()) {
                            sum += x.getValue();
                        }
                    }
                    blackhole = sum;
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "scraper");
            scraper.setDaemon(true);
            scraper.start();
        }
    }

    @TearDown(Level.Iteration)
    public void close() throws InterruptedException {
        if (scraper != null) {
            scraper.interrupt();
            scraper.join();
        }
        sink.close();
        Dirs.delete(dir);
    }

    @Benchmark
    public long wssinkWriteWhileScraped() {
        return sink.write(payload);
    }
}
