package io.wssink.cli;

import io.wssink.internal.DaemonThreads;
import io.wssink.internal.chaos.FaultProxy;
import io.wssink.internal.spool.Spool;
import io.wssink.internal.spool.SpoolConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

@Command(name = "chaos", mixinStandardHelpOptions = true,
        description = "The chaos soak: a receiver (serve), a producer appending numbered events to a spool, and a"
                + " sender (send) forwarding them through a fault-injecting TCP proxy, all real processes of this jar."
                + " At random moments it SIGKILLs the sender or the receiver (and restarts them), cuts, delays and"
                + " blackholes the connection, and, as root, lets the spool fill a small tmpfs. Then it heals"
                + " everything, drains, and checks the receiver's output against what the producer was told was"
                + " written: nothing lost, nothing twice, in order. Exit 0 only if so.",
        footer = ExitCodes.HELP)
final class ChaosCommand implements Callable<Integer> {
    @Option(names = "--quick", description = "About two and a half minutes in all (for CI).")
    boolean quick;

    @Option(names = "--minutes", defaultValue = "10", description = "How long faults go on (default: ${DEFAULT-VALUE}).")
    double minutes;

    @Option(names = "--seed", description = "Seed of the fault schedule (default: random; printed).")
    Long seed;

    @Option(names = "--rate", defaultValue = "3000", description = "Events per second (default: ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--no-tmpfs", description = "Keep the spool on disk even as root (no disk-full fault).")
    boolean noTmpfs;

    /** The faults, in the order the seeded schedule draws them from (a seed replays the same schedule). */
    private enum Fault {
        SENDER_KILL("sender killed (SIGKILL)"),
        RECEIVER_KILL("receiver killed (SIGKILL)"),
        CUT("connections cut"),
        DELAY("traffic delayed 30 ms, 4 s"),
        BLACKHOLE("blackholed 5 s (half-open)"),
        /** Last: drawn once, and only with the spool on a tmpfs. */
        DISK_FULL("spool's tmpfs filled up");

        final String description;

        Fault(String description) {
            this.description = description;
        }
    }

    private final Map<Fault, Integer> faults = new EnumMap<>(Fault.class);
    private final List<String> problems = new ArrayList<>();
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong lastWriteNanos = new AtomicLong(System.nanoTime());
    private volatile String producerSummary = "";
    private Path dir;
    private Path spool;
    private Path out;
    private int port;
    private Process receiver;
    private Process sender;
    private FaultProxy proxy;

    @Override
    public Integer call() throws Exception {
        long faultNanos = TimeUnit.SECONDS.toNanos(quick ? 100 : Math.round(minutes * 60));
        long runSeed = seed != null ? seed : new Random().nextLong();
        Random random = new Random(runSeed);
        dir = Files.createTempDirectory("wssink-chaos");
        spool = dir.resolve("spool");
        out = dir.resolve("received.txt");
        String tmpfs = mountTmpfs();
        EnumSet.allOf(Fault.class).forEach(f -> faults.put(f, 0));
        System.err.println("wssink chaos: seed " + runSeed + ", working in " + dir + ", spool "
                + (tmpfs == null ? "on a 48 MiB tmpfs" : "on disk (" + tmpfs + ")"));
        long start = System.nanoTime();
        receiver = startReceiver();
        proxy = new FaultProxy(port);
        Process producer = startProducer();
        awaitSpool();
        sender = startSender();
        boolean diskFullDone = tmpfs != null;
        long end = System.nanoTime() + faultNanos;
        try {
            while (System.nanoTime() < end) {
                pause(2000 + random.nextInt(3000));
                checkAlive(producer, "producer");
                Fault pick = Fault.values()[random.nextInt(diskFullDone ? Fault.DISK_FULL.ordinal() : Fault.values().length)];
                if (!diskFullDone && System.nanoTime() - start > faultNanos / 3) {
                    pick = Fault.DISK_FULL;
                }
                switch (pick) {
                    case SENDER_KILL -> {
                        checkAlive(sender, "sender");
                        kill(sender);
                        sender = startSender();
                        count(Fault.SENDER_KILL);
                    }
                    case RECEIVER_KILL -> {
                        checkAlive(receiver, "receiver");
                        kill(receiver);
                        receiver = startReceiver();
                        count(Fault.RECEIVER_KILL);
                    }
                    case CUT -> {
                        proxy.cutAll();
                        count(Fault.CUT);
                    }
                    case DELAY -> {
                        proxy.delay(30);
                        pause(4000);
                        proxy.delay(0);
                        count(Fault.DELAY);
                    }
                    case BLACKHOLE -> {
                        proxy.blackhole(true);
                        pause(5000);
                        proxy.blackhole(false);
                        count(Fault.BLACKHOLE);
                    }
                    case DISK_FULL -> {
                        fillDisk();
                        diskFullDone = true;
                    }
                }
            }
            return finish(producer, runSeed, tmpfs, start);
        } finally {
            proxy.close();
            for (Process p : new Process[] {producer, sender, receiver}) {
                if (p.isAlive()) {
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
            if (tmpfs == null) {
                unmount();
            }
        }
    }

    /**
     * Unmounts the spool's tmpfs. Right after the children exit, or after this process read the spool, the mount can
     * still be busy for a moment (Chronicle unmaps its files on a background thread), so it tries again for up to
     * 10 s, and then detaches it lazily: the kernel frees it once the last mapping goes.
     */
    private void unmount() throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            Process p = new ProcessBuilder("umount", spool.toString()).redirectErrorStream(true).start();
            String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (p.waitFor() == 0) {
                return;
            }
            if (System.nanoTime() > until) {
                System.err.println("  " + said + "; detaching it lazily");
                new ProcessBuilder("umount", "-l", spool.toString()).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
                return;
            }
            Thread.sleep(200); // between retries; pause() would print progress lines after the report
        }
    }

    /** Stops the receiver until the spool's tmpfs is full (the producer stalls), then brings it back. */
    private void fillDisk() throws Exception {
        kill(receiver);
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < until && System.nanoTime() - lastWriteNanos.get() < 2_000_000_000L) {
            pause(250);
        }
        long used = spool.toFile().getTotalSpace() - spool.toFile().getUsableSpace();
        System.err.printf("  the spool's tmpfs holds %d MiB and the producer is waiting for room%n", used >> 20);
        receiver = startReceiver();
        count(Fault.DISK_FULL);
    }

    private int finish(Process producer, long runSeed, String tmpfs, long start) throws Exception {
        proxy.delay(0);
        proxy.blackhole(false);
        checkAlive(producer, "producer");
        if (!checkAlive(sender, "sender")) {
            sender = startSender();
        }
        if (!checkAlive(receiver, "receiver")) {
            receiver = startReceiver();
        }
        producer.getOutputStream().close(); // stop writing
        if (!producer.waitFor(60, TimeUnit.SECONDS)) {
            problems.add("the producer did not stop");
        }
        System.err.println("  healed; draining the spool...");
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (backlog() != 0 && System.nanoTime() < until) {
            pause(500);
        }
        long left = backlog();
        if (left != 0) {
            problems.add(left + " events still spooled two minutes after healing");
        }
        sender.destroy();
        sender.waitFor(30, TimeUnit.SECONDS);
        receiver.destroy();
        receiver.waitFor(30, TimeUnit.SECONDS);
        return report(runSeed, tmpfs, (System.nanoTime() - start) / 1e9);
    }

    private int report(long runSeed, String tmpfs, double seconds) throws IOException {
        long total = written.get();
        BitSet seen = new BitSet();
        long duplicates = 0;
        long outOfOrder = 0;
        long previous = -1;
        long lines = 0;
        try (Stream<String> s = Files.lines(out)) {
            for (String line : (Iterable<String>) s::iterator) {
                lines++;
                int space = line.indexOf(' ');
                int n = Integer.parseInt(line.substring(2, space < 0 ? line.length() : space));
                if (seen.get(n)) {
                    duplicates++;
                } else {
                    seen.set(n);
                }
                if (n <= previous) {
                    outOfOrder++;
                }
                previous = n;
            }
        }
        long lost = total - seen.get(0, (int) total).cardinality();
        System.out.println();
        System.out.printf("wssink chaos soak: %.0f s in all, seed %d, spool %s%n", seconds, runSeed,
                tmpfs == null ? "on a 48 MiB tmpfs" : "on disk (" + tmpfs + ")");
        System.out.printf("  %-42s %10s%n", "fault", "injected");
        faults.forEach((f, n) -> System.out.printf("  %-42s %10d%n", f.description, n));
        if (!producerSummary.isEmpty()) {
            System.out.printf("  %-42s %10s%n", "longest append wait (producer)", producerSummary);
        }
        System.out.printf("  %-42s %10d%n", "written (append returned)", total);
        System.out.printf("  %-42s %10d%n", "received lines", lines);
        System.out.printf("  %-42s %10d%n", "lost", lost);
        System.out.printf("  %-42s %10d%n", "duplicates after dedupe", duplicates);
        System.out.printf("  %-42s %10d%n", "out of order", outOfOrder);
        System.out.printf("  %-42s %10d%n", "unexpected exits and other problems", problems.size());
        problems.forEach(p -> System.out.println("    " + p));
        boolean ok = lost == 0 && duplicates == 0 && outOfOrder == 0 && problems.isEmpty() && total > 0;
        System.out.println(ok ? "nothing lost, nothing twice, in order." : "FAILED; the files are kept in " + dir);
        if (ok) {
            deleteQuietly(dir);
        }
        return ok ? ExitCodes.OK : ExitCodes.LOST;
    }

    private String mountTmpfs() throws InterruptedException {
        if (noTmpfs) {
            return "--no-tmpfs: no disk-full fault";
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            return "not root: no tmpfs, so no disk-full fault";
        }
        try {
            Files.createDirectories(spool);
            Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=48m,mode=0700", "tmpfs",
                    spool.toString()).redirectErrorStream(true).start();
            String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.waitFor() == 0 ? null : "cannot mount a tmpfs: " + said;
        } catch (IOException e) {
            return "cannot mount a tmpfs: " + e.getMessage();
        }
    }

    private Process startReceiver() throws IOException {
        // port 0, read back: a port freed by the receiver just killed may be taken by anyone meanwhile
        Process p = ChildProcess.wssinkLogging(dir.resolve("receiver.err"), "serve", "--port", "0",
                "--out", out.toString()).start();
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String ready = r.readLine();
        if (ready == null || !ready.startsWith("listening on")) {
            throw new IOException("the receiver did not start; see " + dir.resolve("receiver.err"));
        }
        port = URI.create(ready.substring("listening on".length()).strip()).getPort();
        if (proxy != null) {
            proxy.target(port);
        }
        return p;
    }

    private Process startSender() throws IOException {
        return ChildProcess.wssinkLogging(dir.resolve("sender.err"), "send", "--url", proxy.url(), "--spool",
                spool.toString(), "--follow", "--mode", "ack", "--block-size", Integer.toString(1 << 20),
                "--ping-interval", "PT1S", "--ping-timeout", "PT2S", "--backoff-max", "PT2S")
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
    }

    private Process startProducer() throws IOException {
        Process p = ChildProcess.wssinkLogging(dir.resolve("producer.err"), "chaos-producer", "--spool",
                spool.toString(), "--rate", Integer.toString(rate)).start();
        Thread pump = DaemonThreads.newThread("producer-out", () -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (line.startsWith("W ")) {
                        written.set(Long.parseLong(line.substring(2)) + 1);
                        lastWriteNanos.set(System.nanoTime());
                    } else if (line.startsWith("MAXWAIT ")) {
                        String[] f = line.split(" ");
                        producerSummary = f[1] + " ms";
                    }
                }
            } catch (IOException | RuntimeException ignored) {
                // the producer ended
            }
        });
        pump.start();
        return p;
    }

    private void awaitSpool() throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!Files.exists(spool.resolve("wssink-spool.properties")) && System.nanoTime() < until) {
            pause(100);
        }
    }

    private long backlog() {
        try (Spool s = Spool.open(SpoolConfig.builder(spool).blockSize(1 << 20).createIfMissing(false).build())) {
            return s.stats().backlogEvents();
        } catch (RuntimeException e) {
            return -1;
        }
    }

    private boolean checkAlive(Process p, String what) {
        if (!p.isAlive()) {
            problems.add("the " + what + " exited by itself with " + p.exitValue() + "; see " + dir);
            return false;
        }
        return true;
    }

    private static void kill(Process p) throws InterruptedException {
        p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }

    private void count(Fault fault) {
        faults.merge(fault, 1, Integer::sum);
        System.err.printf("  %s at event %d%n", fault.description, written.get());
    }

    /** Waits, with a progress line every 10 s: this is the fault schedule's clock, not a wait for a condition. */
    private void pause(long millis) throws InterruptedException {
        long until = System.nanoTime() + millis * 1_000_000;
        while (System.nanoTime() < until) {
            Thread.sleep(Math.min(250, Math.max(1, (until - System.nanoTime()) / 1_000_000)));
            if (System.nanoTime() - lastProgress >= 10_000_000_000L) {
                lastProgress = System.nanoTime();
                int injected = faults.values().stream().mapToInt(Integer::intValue).sum();
                System.err.printf("  written %9d  faults %3d%n", written.get(), injected);
            }
        }
    }

    private long lastProgress = System.nanoTime();

    private static void deleteQuietly(Path root) {
        try (Stream<Path> files = Files.walk(root)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary directory; the OS cleans it eventually
        }
    }
}
