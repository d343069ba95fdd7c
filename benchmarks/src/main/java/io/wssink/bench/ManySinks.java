package io.wssink.bench;

import io.wssink.WebSocketSink;
import io.wssink.internal.receiver.ReceiverConfig;
import io.wssink.internal.receiver.ReferenceReceiver;
import io.wssink.protocol.ConnectionState;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * 7. Many sinks in one process: for 1, 10, 100 and 1,000 sinks (each its own spool, all into one reference receiver in
 * the same JVM), the threads the sinks started, the process's RSS, the time to open them all and have them
 * connected, and the events/s the receiver took in all (100 B events, {@value #WRITERS} writer threads taking
 * the sinks in turn, a batch of 1000 each with at most 64 batches per sink unacknowledged, as in
 * {@link EndToEndBenchmark}, for {@code seconds} after {@code warmup} seconds of the same writing, not counted).
 * Not JMH: threads and RSS are facts of one process, so each count runs in a JVM of its own, started by this one with
 * the same class path and flags.
 *
 * <p>The warm-up: without one, the JIT compiled through the whole measured window (the C2 threads took 35-55% of a
 * core in it, by /proc's per-thread counters), and one sink's rate ranged 393k-1,017k events/s between runs of 5-12 s,
 * which once made 10 sinks look half as fast as one. With 10 s of warm-up C2 still took ~40% of a core 14-20 s in,
 * compiling the 10 sinks' wider paths (JFR: 715 compilations after the 10th second, some of a second each; 10 sinks
 * 596k-1,066k events/s); with 30 s, 10 sinks made 1.11 and 1.16x one sink's rate in two runs, and 1.05 and 0.97 once
 * the rate was the receiver's count in the window (below).
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.wssink.bench.ManySinks [counts, default 1,10,100,1000] [seconds, default 10] [out.json] [warmup seconds, default 30]
 * </pre>
 * The rate is a timing: take it from a quiet machine. Threads and RSS may be measured anywhere.
 */
public final class ManySinks {
    static final int WRITERS = 2;
    static final int SIZE = 100;

    private ManySinks() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length >= 4 && args[0].equals("--one")) {
            System.out.println(one(Integer.parseInt(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3])));
            System.exit(0); // the receiver's and the sinks' daemon threads end with the JVM
        }
        int[] counts = Arrays.stream((args.length > 0 ? args[0] : "1,10,100,1000").split(","))
                .mapToInt(Integer::parseInt).toArray();
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        Path out = Path.of(args.length > 2 ? args[2] : "benchmarks/results/many-sinks.json");
        int warmup = args.length > 3 ? Integer.parseInt(args[3]) : 30;
        List<String> rows = new ArrayList<>();
        for (int n : counts) {
            String row = child(n, seconds, warmup);
            System.out.println(row);
            rows.add(row);
        }
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, "[\n  " + String.join(",\n  ", rows) + "\n]\n");
        System.out.println("results: " + out);
    }

    /** Runs one count in a fresh JVM with this one's class path and flags; returns its JSON line. */
    private static String child(int sinks, int seconds, int warmup) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of(Flags.E1, Flags.E2, Flags.E3, Flags.E4, Flags.O1, Flags.O2, Flags.O3, Flags.O4, Flags.O5,
                Flags.O6, Flags.NO_ANALYTICS, Flags.QUIET));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), ManySinks.class.getName(), "--one",
                Integer.toString(sinks), Integer.toString(seconds), Integer.toString(warmup)));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String last = null;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                last = line;
            }
        }
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0 || last == null || !last.startsWith("{")) {
            p.destroyForcibly();
            throw new IllegalStateException("the run with " + sinks + " sinks failed (exit "
                    + (p.isAlive() ? "none" : p.exitValue()) + "); its output ended with: " + last);
        }
        return last;
    }

    private static String one(int count, int seconds, int warmup) throws Exception {
        Path dir = Dirs.create("wssink-bench-sinks");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(dir.resolve("out.bin"))
                .binary(true).fsync(ReceiverConfig.Fsync.NEVER).maxConnections(count + 16)
                .maxStreams(count + 16).build())) {
            int threadsBefore = ManagementFactory.getThreadMXBean().getThreadCount();
            long rssBefore = rssBytes();
            long t0 = System.nanoTime();
            WebSocketSink[] sinks = new WebSocketSink[count];
            for (int i = 0; i < count; i++) {
                sinks[i] = WebSocketSink.builder().url(receiver.url()).spool(dir.resolve("spool-" + i))
                        .maxSpoolBytes(8L << 30).build();
            }
            long opened = System.nanoTime();
            for (WebSocketSink s : sinks) {
                long deadline = System.nanoTime() + 60_000_000_000L;
                while (s.status().state() != ConnectionState.CONNECTED) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("a sink did not connect: " + s.status());
                    }
                    LockSupport.parkNanos(1_000_000);
                }
            }
            long connected = System.nanoTime();
            int threadsOpen = ManagementFactory.getThreadMXBean().getThreadCount();
            long rssOpen = rssBytes();

            byte[] payload = new byte[SIZE];
            Arrays.fill(payload, (byte) 'x');
            long[][] window = new long[count][EndToEndBenchmark.WINDOW];
            int[] turns = new int[count];
            int writerCount = Math.min(WRITERS, count);
            long start = System.nanoTime() + warmup * 1_000_000_000L;
            long until = start + seconds * 1_000_000_000L;
            Thread[] writers = new Thread[writerCount];
            for (int w = 0; w < writerCount; w++) {
                int me = w;
                writers[w] = new Thread(() -> {
                    // each writer has its own sinks (i % WRITERS == me), taken in turn: a sink's last id is its writer's
                    while (System.nanoTime() < until) {
                        for (int i = me; i < count && System.nanoTime() < until; i += writerCount) {
                            // what is in flight stays bounded: the batch written WINDOW batches ago must be acked
                            EndToEndBenchmark.batchInWindow(sinks[i], payload, window[i], turns[i]++);
                        }
                    }
                }, "writer-" + w);
                writers[w].start();
            }
            int threadsWriting = ManagementFactory.getThreadMXBean().getThreadCount() - writerCount;
            // the rate is what the receiver took between the warm-up's end and the window's: counting what the
            // writers wrote in the window and timing until its last ack also timed the warm-up's backlog (with 1,000
            // sinks, 64 batches each may be in flight), uncounted
            LatencyHarness.waitUntil(start, false);
            long windowStart = System.nanoTime();
            long before = receiver.store().records();
            LatencyHarness.waitUntil(until, false);
            long windowEnd = System.nanoTime();
            long received = receiver.store().records() - before;
            for (Thread t : writers) {
                t.join();
            }
            List<CompletableFuture<Void>> acks = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                long last = sinks[i].status().spool().lastId();
                if (last != 0) {
                    acks.add(sinks[i].acked(last));
                }
            }
            CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(10, TimeUnit.MINUTES); // not timed
            long rssEnd = rssBytes();
            double rate = received / ((windowEnd - windowStart) / 1e9);
            for (WebSocketSink s : sinks) {
                s.close();
            }
            return String.format(Locale.ROOT, "{\"sinks\": %d, \"warmupSeconds\": %d, \"threadsBefore\": %d, \"threadsStarted\": %d,"
                            + " \"threadsWhileWriting\": %d, \"rssBeforeMiB\": %.1f, \"rssOpenMiB\": %.1f,"
                            + " \"rssEndMiB\": %.1f, \"openMs\": %.1f, \"openAndConnectedMs\": %.1f,"
                            + " \"receivedEvents\": %d, \"receivedEventsPerSecond\": %.0f, \"perSinkEventsPerSecond\": %.0f}",
                    count, warmup, threadsBefore, threadsOpen - threadsBefore, threadsWriting - threadsBefore,
                    rssBefore / 1048576.0, rssOpen / 1048576.0, rssEnd / 1048576.0, (opened - t0) / 1e6,
                    (connected - t0) / 1e6, received, rate, rate / count);
        } finally {
            Dirs.delete(dir);
        }
    }

    /** VmRSS of this process, from /proc (Linux); -1 elsewhere. */
    static long rssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
