package io.wssink.bench;

import io.wssink.WebSocketSink;
import io.wssink.internal.receiver.ReceiverConfig;
import io.wssink.internal.receiver.ReferenceReceiver;
import io.wssink.protocol.ConnectionState;
import io.wssink.protocol.Mode;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * 9. The live console's cost to ingestion (issue 13): {@link EndToEndBenchmark#wssinkAck}'s workload through a
 * receiver with --ui, the stream selected in a console that is
 * <ul>
 *   <li>{@code off}: no --ui (the baseline);</li>
 *   <li>{@code none}: --ui, nobody watching (the tail and rate are kept all the same);</li>
 *   <li>{@code reading}: a browser attached: the page's live feed ({@code /api/live?stream=...}) read as fast as it
 *       comes, as a browser's network layer does;</li>
 *   <li>{@code stalled}: a browser that asked for the feed and stopped reading (a frozen tab): the receiver must skip
 *       it, not buffer for it nor hold back acks.</li>
 * </ul>
 * The ratio to report is {@code reading / off} (and {@code stalled / off}) at each size.
 */
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {Flags.E1, Flags.E2, Flags.E3, Flags.E4, Flags.O1, Flags.O2, Flags.O3, Flags.O4,
        Flags.O5, Flags.O6, Flags.NO_ANALYTICS, Flags.QUIET})
public class ConsoleBenchmark {
    @State(Scope.Benchmark)
    public static class Setting {
        @Param({"100", "1024"})
        int size;
        @Param({"off", "none", "reading", "stalled"})
        String console;
        byte[] payload;
        Path dir;
        ReferenceReceiver receiver;
        WebSocketSink sink;
        final long[] window = new long[EndToEndBenchmark.WINDOW];
        int turn;
        Socket browser;
        Thread reader;
        final AtomicLong feedBytes = new AtomicLong();

        @Setup(Level.Iteration)
        public void start() throws Exception {
            payload = new byte[size];
            Arrays.fill(payload, (byte) 'x');
            dir = Dirs.create("wssink-bench-console");
            receiver = ReferenceReceiver.start(ReceiverConfig.builder(dir.resolve("out.bin")).binary(true)
                    .fsync(ReceiverConfig.Fsync.NEVER).ui(!console.equals("off")).build());
            Arrays.fill(window, 0);
            turn = 0;
            sink = WebSocketSink.builder().url(receiver.url()).spool(dir.resolve("spool")).mode(Mode.ACK)
                    .maxSpoolBytes(64L << 30).maxInFlightBytes(16L << 20).build();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (sink.status().state() != ConnectionState.CONNECTED) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the sink did not connect: " + sink.status());
                }
                LockSupport.parkNanos(1_000_000);
            }
            if (console.equals("reading") || console.equals("stalled")) {
                attach(sink.status().spool().streamId(), console.equals("reading"));
            }
        }

        /** Opens the page's live feed for the stream; reads it on a thread of its own when {@code read}. */
        private void attach(String stream, boolean read) throws IOException {
            browser = new Socket();
            browser.setReceiveBufferSize(4096); // a frozen tab's buffer fills soon, as it would on a slow link
            browser.connect(new InetSocketAddress("127.0.0.1", receiver.port()));
            browser.getOutputStream().write(("GET /api/live?stream=" + stream + " HTTP/1.1\r\nHost: 127.0.0.1:"
                    + receiver.port() + "\r\nAccept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            if (read) {
                reader = new Thread(() -> {
                    byte[] buf = new byte[64 << 10];
                    try (InputStream in = browser.getInputStream()) {
                        int n;
                        while ((n = in.read(buf)) > 0) {
                            feedBytes.addAndGet(n);
                        }
                    } catch (IOException closed) {
                        // the iteration ended
                    }
                }, "bench-browser");
                reader.setDaemon(true);
                reader.start();
            }
        }

        @TearDown(Level.Iteration)
        public void stop() throws Exception {
            sink.close();
            if (browser != null) {
                browser.close();
                browser = null;
            }
            if (reader != null) {
                reader.join(5000);
                if (console.equals("reading") && feedBytes.get() == 0) {
                    throw new IllegalStateException("the attached browser read nothing: the feed did not work");
                }
                reader = null;
            }
            receiver.close();
            Dirs.delete(dir);
        }
    }

    @Benchmark
    @OperationsPerInvocation(EndToEndBenchmark.BATCH)
    public void wssinkAck(Setting s) {
        EndToEndBenchmark.batchInWindow(s.sink, s.payload, s.window, s.turn++);
    }
}
