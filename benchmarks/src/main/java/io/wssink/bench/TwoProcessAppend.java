package io.wssink.bench;

import io.wssink.internal.spool.Spool;
import io.wssink.internal.spool.SpoolConfig;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * 11b. Two processes appending to one spool (docs/SPOOL.md: appends need no lock; Chronicle serialises them across
 * processes, and the counters are atomic adds in its mapped table store), against one process appending alone. Each
 * child JVM opens the spool (no reader, no network: the append path only), appends up to 500,000 events for at most {@code warmup} seconds, then
 * from a wall-clock instant the parent chose appends {@code events} events of 100 B and prints when it started and
 * ended; total events/s = all events / (last end - first start). Fresh spool for each case.
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.wssink.bench.TwoProcessAppend [events per process, default 5000000]
 *     [warmup seconds, default 3] [out.json, default benchmarks/results/two-process-append.json]
 * </pre>
 * A timing: take it from a quiet machine.
 */
public final class TwoProcessAppend {
    private TwoProcessAppend() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--child")) {
            child(Path.of(args[1]), Long.parseLong(args[2]), Long.parseLong(args[3]), Long.parseLong(args[4]));
            return;
        }
        long events = args.length > 0 ? Long.parseLong(args[0]) : 5_000_000;
        int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Path out = Path.of(args.length > 2 ? args[2] : "benchmarks/results/two-process-append.json");
        String one = run(1, events, warmup);
        String two = run(2, events, warmup);
        double r1 = rate(one);
        double r2 = rate(two);
        String json = String.format(Locale.ROOT, "{\n  \"oneProcess\": %s,\n  \"twoProcesses\": %s,\n"
                + "  \"ratio\": %.3f\n}\n", one, two, r2 / r1);
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, json);
        System.out.print(json);
        System.out.println("results: " + out);
    }

    private static double rate(String json) {
        String key = "\"eventsPerSecond\": ";
        int at = json.indexOf(key) + key.length();
        return Double.parseDouble(json.substring(at, json.indexOf('}', at)).trim());
    }

    /** Runs {@code processes} children on one fresh spool; returns their JSON summary. */
    private static String run(int processes, long events, int warmup) throws Exception {
        Path dir = Dirs.create("wssink-bench-2proc");
        try {
            Spool.open(config(dir.resolve("spool"))).close(); // created once, before the children race to open it
            long startAt = System.currentTimeMillis() + 2_000 + warmup * 1000L; // both JVMs up and warmed by then
            List<Process> children = new ArrayList<>();
            for (int i = 0; i < processes; i++) {
                List<String> cmd = new ArrayList<>();
                cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
                cmd.addAll(List.of(Flags.E1, Flags.E2, Flags.E3, Flags.E4, Flags.O1, Flags.O2, Flags.O3, Flags.O4,
                        Flags.O5, Flags.O6, Flags.NO_ANALYTICS, Flags.QUIET));
                cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), TwoProcessAppend.class.getName(),
                        "--child", dir.resolve("spool").toString(), Long.toString(events), Long.toString(startAt),
                        Long.toString(warmup)));
                children.add(new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start());
            }
            long firstStart = Long.MAX_VALUE;
            long lastEnd = Long.MIN_VALUE;
            for (Process p : children) {
                String line;
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    line = r.readLine();
                }
                if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0 || line == null) {
                    children.forEach(c -> c.toHandle().destroyForcibly());
                    throw new IllegalStateException("an appending child failed (see its stderr above)");
                }
                String[] micros = line.trim().split(" ");
                firstStart = Math.min(firstStart, Long.parseLong(micros[0]));
                lastEnd = Math.max(lastEnd, Long.parseLong(micros[1]));
            }
            long total = events * processes;
            return String.format(Locale.ROOT, "{\"processes\": %d, \"events\": %d, \"seconds\": %.3f,"
                    + " \"eventsPerSecond\": %.0f}", processes, total, (lastEnd - firstStart) / 1e6,
                    total / ((lastEnd - firstStart) / 1e6));
        } finally {
            Dirs.delete(dir);
        }
    }

    static SpoolConfig config(Path dir) {
        return SpoolConfig.builder(dir).maxSpoolBytes(64L << 30).build();
    }

    /** Warms up, waits for {@code startAt} (epoch ms), appends, prints its start and end in epoch microseconds. */
    private static void child(Path dir, long events, long startAt, long warmupSeconds) {
        byte[] payload = new byte[100];
        try (Spool spool = Spool.open(config(dir))) {
            long warmUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(warmupSeconds);
            for (int i = 0; i < 500_000 && System.nanoTime() < warmUntil && System.currentTimeMillis() < startAt - 200;
                 i++) { // bounded: the JIT needs far fewer, and each is disk
                spool.append(payload, 0, payload.length);
            }
            while (System.currentTimeMillis() < startAt) {
                LockSupport.parkNanos(100_000);
            }
            long start = micros();
            for (long i = 0; i < events; i++) {
                spool.append(payload, 0, payload.length);
            }
            long end = micros();
            System.out.println(start + " " + end);
        }
    }

    private static long micros() {
        return ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
    }
}
