package io.wssink.bench;

import com.sun.management.OperatingSystemMXBean;
import io.wssink.WebSocketSink;
import io.wssink.internal.receiver.ReceiverConfig;
import io.wssink.internal.receiver.ReferenceReceiver;
import io.wssink.protocol.ConnectionState;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * 10. Latency at fixed rates: events of 100 B written at 1k, 10k and 100k events/s, each at its intended time
 * ({@code start + i / rate}), and the time from that intended time (not from when the write actually happened:
 * coordinated-omission-correct, a stall counts against every event it delayed) to
 * <ul>
 *   <li><b>arrival</b>: the reference receiver (same JVM) has stored the event: its record count passed it;</li>
 *   <li><b>ack</b>: {@code sink.acked(id)} completed (wssink only).</li>
 * </ul>
 * The anchor, in the same run at the same rates into a fresh receiver of the same configuration: a bare Netty
 * WebSocket client sending each event as one frame with one flush ({@link BareClient}). Goal (issue 17): p99 arrival
 * of wssink at most 1.2x the bare client's at 10k/s.
 *
 * <p>Arrival is seen by a poller thread reading the receiver's record count and parking {@code --poll-park-us}
 * between reads that saw nothing new: its resolution (the park, plus the kernel's timer slack, about 50 us on Linux)
 * is the same for both clients, so it compresses ratios a little rather than flattering one side. A busy poller
 * would be finer but takes a core from the four threads being measured on a 2-core machine.
 *
 * <p>Not JMH: JMH's sample mode times calls, which a fixed-rate sender must not do (the next event's intended time
 * does not move when a call is slow). Run:
 * <pre>
 * java [Chronicle's --add-opens/--add-exports flags] -cp benchmarks/target/benchmarks.jar io.wssink.bench.LatencyHarness \
 *     [--rates 1000,10000,100000] [--seconds 20] [--warmup 30] [--ack-policy interval,readComplete] \
 *     [--fsync never] [--writer spin|park] [--poll-park-us 20] [--out benchmarks/results/latency.json]
 * </pre>
 * (scripts/bench runs it with the flags.) {@code --warmup}: seconds written at the rate before the window, each event
 * waited for and recorded as in it, into histograms of their own; 30 by default (5 until session 9): wssink's
 * pipeline is still being compiled 20 s in (benchmarks/README.md, session 8), and at 10k/s some of its ack path
 * reaches C1's profiled tier only ~40 s in, so even 30 s is no guarantee (results/profile-9-latency-stages.txt).
 * {@code --ack-policy}: {@code interval} is the receiver's ack every 100 ms or 1 MiB; {@code readComplete} also acks
 * at the end of each read burst, through {@code ReceiverConfig.Builder.ackOnReadComplete(boolean)} (the receiver's
 * default), those acks spaced as the receiver's default (1 ms since session 10); {@code readComplete:US} spaces them
 * US microseconds apart ({@code readComplete:0}: at every burst, as before session 10).
 */
public final class LatencyHarness {
    static final int SIZE = 100;
    /** The longest latency recorded; anything above is recorded as this (the run would be broken anyway). */
    private static final long HIGHEST_NANOS = TimeUnit.SECONDS.toNanos(60);

    private LatencyHarness() {
    }

    /** One client at one rate: its histograms, in nanoseconds. */
    record Run(String client, int rate, String ackPolicy, String fsync, String writer, long events,
               Histogram arrival, Histogram ack, WindowCpu cpu) {
    }

    /**
     * The CPU this JVM spent in the window apart from the writer's thread: the pipeline being measured (for wssink the
     * forwarder, both event loops and the receiver's committer; for the bare client its event loop and the
     * receiver's), the poller, and the JVM's own (JIT, GC). With {@code --writer spin} the writer takes one of the two
     * cores, and all of this shares the other: {@code cores} near 1 means the measured threads queue for it, and
     * their tail with them. Negative figures: not measured (no CPU time on this JVM).
     */
    record WindowCpu(double cores, double usPerEvent) {
        static final WindowCpu NONE = new WindowCpu(-1, -1);
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = options(args);
        int[] rates = Arrays.stream(o.getOrDefault("rates", "1000,10000,100000").split(","))
                .mapToInt(Integer::parseInt).toArray();
        int seconds = Integer.parseInt(o.getOrDefault("seconds", "20"));
        int warmup = Integer.parseInt(o.getOrDefault("warmup", "30"));
        String fsync = o.getOrDefault("fsync", "never");
        String writer = o.getOrDefault("writer", "spin");
        if (!writer.equals("spin") && !writer.equals("park")) {
            throw new IllegalArgumentException("--writer is spin or park, not " + writer);
        }
        long pollPark = TimeUnit.MICROSECONDS.toNanos(Long.parseLong(o.getOrDefault("poll-park-us", "20")));
        Path out = Path.of(o.getOrDefault("out", "benchmarks/results/latency.json"));
        List<String> policies = new ArrayList<>(List.of(o.getOrDefault("ack-policy", "interval,readComplete").split(",")));
        List<Run> runs = new ArrayList<>();
        for (String policy : policies) {
            for (int rate : rates) {
                for (String client : List.of("bare", "wssink")) {
                    Run r = run(client, rate, policy, fsync, writer, warmup, seconds, pollPark);
                    System.out.println(line(r));
                    runs.add(r);
                }
            }
        }
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, json(runs));
        System.out.println("results: " + out);
        System.exit(0); // the sinks' shared threads are daemons; Netty's leftovers of closed receivers too
    }

    private static Run run(String client, int rate, String ackPolicy, String fsync, String writer, int warmupSeconds,
                           int seconds, long pollPark) throws Exception {
        Path dir = Dirs.create("wssink-bench-latency");
        long period = 1_000_000_000L / rate;
        long warmEvents = (long) rate * warmupSeconds;
        long total = warmEvents + (long) rate * seconds;
        Histogram arrival = new Histogram(HIGHEST_NANOS, 3);
        Histogram ack = new ConcurrentHistogram(HIGHEST_NANOS, 3);
        Histogram[] acks = {new ConcurrentHistogram(HIGHEST_NANOS, 3), ack}; // by phase(): warm-up, window
        byte[] payload = new byte[SIZE];
        Arrays.fill(payload, (byte) 'x');
        ReceiverConfig.Builder config = ReceiverConfig.builder(dir.resolve("out.bin")).binary(true)
                .fsync(ReceiverConfig.Fsync.valueOf(fsync.toUpperCase(Locale.ROOT)));
        ackPolicy(config, ackPolicy);
        try (ReferenceReceiver receiver = ReferenceReceiver.start(config.build())) {
            WebSocketSink sink = null;
            BareClient bare = null;
            try {
                if (client.equals("wssink")) {
                    sink = WebSocketSink.builder().url(receiver.url()).spool(dir.resolve("spool")).build();
                    awaitConnected(sink);
                } else {
                    bare = new BareClient(receiver.url());
                }
                long start = System.nanoTime() + 100_000_000L; // the first intended time, after the poller started
                Thread poller = new Thread(() -> poll(receiver, start, period, warmEvents, total, arrival, pollPark),
                        "arrival-poller");
                poller.setDaemon(true);
                poller.start();
                CompletableFuture<WindowCpu> cpu = windowCpu(Thread.currentThread(), start + warmEvents * period,
                        start + total * period, total - warmEvents);
                CompletableFuture<Void> lastAck = null;
                for (long i = 0; i < total; i++) {
                    long intended = start + i * period;
                    waitUntil(intended, writer.equals("spin"));
                    if (sink != null) {
                        long id = sink.write(payload);
                        // every event's ack is waited for, the warm-up's recorded apart: the window takes the same
                        // code paths as its warm-up (see phase)
                        Histogram into = acks[phase(i, warmEvents)];
                        lastAck = sink.acked(id).whenComplete((v, e) -> {
                            if (e == null) {
                                into.recordValue(Math.min(HIGHEST_NANOS, System.nanoTime() - intended));
                            }
                        });
                    } else {
                        bare.send(payload, true);
                    }
                }
                poller.join(TimeUnit.SECONDS.toMillis(60));
                if (poller.isAlive()) {
                    poller.interrupt();
                    throw new IllegalStateException(client + " at " + rate + "/s: not every event arrived within"
                            + " 60 s: " + receiver.store().records() + " of " + total);
                }
                if (lastAck != null) {
                    lastAck.get(60, TimeUnit.SECONDS);
                }
                return new Run(client, rate, ackPolicy, fsync, writer, total - warmEvents, arrival,
                        sink != null ? ack : null, cpu.get(60, TimeUnit.SECONDS));
            } finally {
                if (sink != null) {
                    sink.close();
                }
                if (bare != null) {
                    bare.close();
                }
            }
        } finally {
            Dirs.delete(dir);
        }
    }

    /** Records each event's arrival once the receiver's count passed it, from its intended time. */
    private static void poll(ReferenceReceiver receiver, long start, long period, long warmEvents, long total,
                             Histogram arrival, long park) {
        Histogram[] arrivals = {new Histogram(HIGHEST_NANOS, 3), arrival}; // by phase(): warm-up, window
        long seen = 0;
        while (seen < total && !Thread.currentThread().isInterrupted()) {
            long records = receiver.store().records();
            if (records == seen) {
                LockSupport.parkNanos(park);
                continue;
            }
            long now = System.nanoTime();
            for (long i = seen; i < records && i < total; i++) {
                arrivals[phase(i, warmEvents)].recordValue(Math.max(0, Math.min(HIGHEST_NANOS,
                        now - (start + i * period))));
            }
            seen = records;
        }
    }

    /**
     * Samples, from a thread of its own that sleeps in between, the process's and the writer's CPU time at the
     * window's first and last intended times: the writer's and the poller's loops stay as they were (a branch in
     * either changed what they measure: see {@link #phase}).
     */
    private static CompletableFuture<WindowCpu> windowCpu(Thread writer, long from, long to, long events) {
        CompletableFuture<WindowCpu> result = new CompletableFuture<>();
        Thread sampler = new Thread(() -> {
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            long[] start = new long[2];
            long[] end = new long[2];
            waitUntil(from, false);
            cpuNow(threads, writer, start);
            waitUntil(to, false);
            cpuNow(threads, writer, end);
            long others = (end[0] - start[0]) - (end[1] - start[1]);
            result.complete(start[0] < 0 || start[1] < 0 || end[1] < 0 ? WindowCpu.NONE
                    : new WindowCpu((double) others / (to - from), others / 1000.0 / events));
        }, "window-cpu");
        sampler.setDaemon(true);
        sampler.start();
        return result;
    }

    /** {@code into[0]}: the process's CPU time; {@code into[1]}: the writer thread's; -1 where not known. */
    private static void cpuNow(ThreadMXBean threads, Thread writer, long[] into) {
        into[0] = ManagementFactory.getOperatingSystemMXBean() instanceof OperatingSystemMXBean os
                ? os.getProcessCpuTime() : -1;
        into[1] = threads.isThreadCpuTimeSupported() ? threads.getThreadCpuTime(writer.getId()) : -1;
    }

    /**
     * 0 for a warm-up event, 1 for a measured one, computed without a branch; the writer and the poller record each
     * event into the histogram of its phase. Until session 9 the window ran code its warm-up had not: the writer
     * registered {@code acked(id)} waiters from the window's first event only, and C2 threw away the forwarder's
     * compiled turn 0.1 s into the window ({@code Forwarder.turnIfDue} and {@code applyDelivery} made not entrant,
     * -XX:+PrintCompilation): at least 852 of the window's first 5,000 events arrived more than 2 ms late, against
     * 0.65% of the rest (30 s of warm-up, one run). Waiting for every event's ack but choosing the histogram with
     * a branch threw the writer's compiled loop away instead, at the first measured event: 1,191 of 5,000 (one run).
     * Without the branch: 25 to 531 in five runs, above the rest's rate in four. The poller's branch went too, which
     * changes the bare client's figures as well. Figures: results/profile-9-latency-stages.txt.
     */
    static int phase(long i, long warmEvents) {
        return (int) ((warmEvents - 1 - i) >>> 63);
    }

    /**
     * Until the event's intended time (or any deadline: ManySinks waits for its window with it). {@code spin}: parks
     * only while more than 200 us are left, then spins: at 10k events/s (100 us apart) the writer spins all the time,
     * a whole core of the two taken from the threads being measured, which shared the other (the bare client has two
     * threads to feed there, wssink five). Otherwise parks all the way, as an application writing at that rate
     * would: the park's overshoot (the kernel's timer slack, ~50 us) makes events late, which counts against both
     * clients alike (latency is from the intended time).
     */
    static void waitUntil(long deadline, boolean spin) {
        long left;
        while ((left = deadline - System.nanoTime()) > 0) {
            if (!spin) {
                LockSupport.parkNanos(left);
            } else if (left > 200_000) {
                LockSupport.parkNanos(left - 100_000);
            } else {
                Thread.onSpinWait();
            }
        }
    }

    private static void awaitConnected(WebSocketSink sink) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (sink.status().state() != ConnectionState.CONNECTED) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the sink did not connect: " + sink.status());
            }
            LockSupport.parkNanos(1_000_000);
        }
    }

    /** {@code interval}: acks every ack interval or ack bytes only; {@code readComplete}: also after each read burst. */
    static void ackPolicy(ReceiverConfig.Builder b, String policy) {
        String[] p = policy.split(":", 2);
        b.ackOnReadComplete(switch (p[0]) {
            case "interval" -> false;
            case "readComplete" -> true;
            default -> throw new IllegalArgumentException("--ack-policy is interval or readComplete[:US], not "
                    + policy);
        });
        if (p.length == 2) {
            if (!p[0].equals("readComplete")) {
                throw new IllegalArgumentException("only readComplete takes a spacing (:US), not " + policy);
            }
            b.ackBurstSpacing(Duration.ofNanos(TimeUnit.MICROSECONDS.toNanos(Long.parseLong(p[1]))));
        }
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> o = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("options are --name value; got " + String.join(" ", args));
            }
            o.put(args[i].substring(2), args[++i]);
        }
        return o;
    }

    private static String line(Run r) {
        return String.format(Locale.ROOT, "%-6s %6d/s ack=%-12s fsync=%-6s writer=%-5s arrival %s%s  besides the"
                        + " writer %.2f cores, %.1f us an event", r.client(), r.rate(), r.ackPolicy(), r.fsync(),
                r.writer(), percentilesText(r.arrival()), r.ack() == null ? "" : "  ack " + percentilesText(r.ack()),
                r.cpu().cores(), r.cpu().usPerEvent());
    }

    private static String percentilesText(Histogram h) {
        return String.format(Locale.ROOT, "p50 %.0f p99 %.0f p99.9 %.0f max %.0f us", us(h, 50), us(h, 99),
                us(h, 99.9), h.getMaxValue() / 1000.0);
    }

    private static double us(Histogram h, double percentile) {
        return h.getValueAtPercentile(percentile) / 1000.0;
    }

    private static String percentilesJson(Histogram h) {
        return String.format(Locale.ROOT, "{\"p50\": %.1f, \"p99\": %.1f, \"p999\": %.1f, \"max\": %.1f, \"count\": %d}",
                us(h, 50), us(h, 99), us(h, 99.9), h.getMaxValue() / 1000.0, h.getTotalCount());
    }

    /** The runs, and per ack policy and rate the ratio of wssink's p99 arrival to the bare client's. */
    static String json(List<Run> runs) {
        StringBuilder s = new StringBuilder("{\n  \"unit\": \"us\",\n  \"runs\": [\n");
        for (int i = 0; i < runs.size(); i++) {
            Run r = runs.get(i);
            s.append(String.format(Locale.ROOT, "    {\"client\": \"%s\", \"rate\": %d, \"ackPolicy\": \"%s\","
                            + " \"fsync\": \"%s\", \"writer\": \"%s\", \"events\": %d, \"arrival\": %s,"
                            + " \"ack\": %s, \"cpuBesidesWriter\": {\"cores\": %.3f, \"usPerEvent\": %.2f}}%s\n",
                    r.client(), r.rate(), r.ackPolicy(), r.fsync(), r.writer(), r.events(),
                    percentilesJson(r.arrival()), r.ack() == null ? "null" : percentilesJson(r.ack()),
                    r.cpu().cores(), r.cpu().usPerEvent(), i + 1 < runs.size() ? "," : ""));
        }
        s.append("  ],\n  \"p99ArrivalRatio\": [\n");
        List<String> ratios = new ArrayList<>();
        for (Run w : runs) {
            if (!w.client().equals("wssink")) {
                continue;
            }
            for (Run b : runs) {
                if (b.client().equals("bare") && b.rate() == w.rate() && b.ackPolicy().equals(w.ackPolicy())) {
                    ratios.add(String.format(Locale.ROOT, "    {\"rate\": %d, \"ackPolicy\": \"%s\", \"ratio\": %.3f}",
                            w.rate(), w.ackPolicy(), us(w.arrival(), 99) / Math.max(0.001, us(b.arrival(), 99))));
                }
            }
        }
        s.append(String.join(",\n", ratios)).append("\n  ]\n}\n");
        return s.toString();
    }
}
