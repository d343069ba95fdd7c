package io.wssink.cli;

import io.wssink.internal.DaemonThreads;
import io.wssink.internal.receiver.ReceiverConfig;
import io.wssink.internal.receiver.ReferenceReceiver;
import io.wssink.internal.spool.Spool;
import io.wssink.internal.spool.SpoolConfig;
import io.wssink.spool.SpoolException;
import io.wssink.spool.SpoolStats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "The main job on embedded defaults: a receiver on a free port, a sender streaming through a spool in a temporary directory, and faults in turn: connections cut, the receiver restarted, the sender killed with SIGKILL and restarted. Then it drains and checks that nothing written was lost. Prints the URL of the receiver's live console. With --ui: no faults; the receiver and three slow senders run until Ctrl-C, so that you can watch them in the console and send them messages, which they print.",
        footer = ExitCodes.HELP)
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--seconds", defaultValue = "24", description = "How long faults go on (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--rate", defaultValue = "20000", description = "Events per second (default: ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--ui", description = "Keep the receiver and three slow senders running until Ctrl-C: open the"
            + " printed console URL, watch the events arrive, send a message; the sender prints it.")
    boolean ui;

    private final Map<String, AtomicLong> confirmed = new ConcurrentHashMap<>();
    /** Each sender's stdout reader, joined after a kill so that every line it wrote is counted. */
    private final Map<Process, Thread> pumps = new ConcurrentHashMap<>();
    private int cuts;
    private int receiverRestarts;
    private int senderKills;

    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("wssink-demo");
        Path out = dir.resolve("received.txt");
        Path spool = dir.resolve("spool");
        System.err.println("wssink demo: working in " + dir);
        if (ui) {
            return watch(out, dir);
        }
        long start = System.nanoTime();
        ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).ui(true).build());
        System.err.println("wssink demo: console on " + receiver.consoleUrl() + " (a new one after each receiver"
                + " restart, on the same port)");
        int port = receiver.port();
        String url = receiver.url();
        long connections = 0;
        int round = 0;
        Process sender = startSender(url, spool, "r" + round);
        long faultEvery = TimeUnit.SECONDS.toNanos(4);
        long nextFault = System.nanoTime() + faultEvery;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        try (Spool stats = openForStats(spool)) {
            while (System.nanoTime() < end) {
                progress(stats, connections + receiver.connections());
                if (System.nanoTime() >= nextFault) {
                    nextFault += faultEvery;
                    switch (round++ % 3) {
                        case 0 -> {
                            receiver.dropConnections();
                            cuts++;
                        }
                        case 1 -> {
                            connections += receiver.connections();
                            receiver.close();
                            receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).port(port).ui(true).build());
                            receiverRestarts++;
                        }
                        default -> {
                            kill(sender);
                            senderKills++;
                            sender = startSender(url, spool, "r" + round);
                        }
                    }
                }
                Thread.sleep(250); // the progress line's refresh, not a wait for a condition
            }
            kill(sender);
            senderKills++;
            System.err.print("\r" + " ".repeat(100) + "\rdraining what is left in the spool...");
            Process drain = ChildProcess.wssink("demo-sender", "--url", url, "--spool", spool.toString(),
                    "--tag", "drain", "--drain").start();
            if (!drain.waitFor(120, TimeUnit.SECONDS) || drain.exitValue() != 0) {
                drain.destroyForcibly();
                System.err.println(" the drain did not finish");
            }
            progress(stats, connections + receiver.connections());
            System.err.println();
        }
        long duplicates = receiver.store().duplicates();
        connections += receiver.connections();
        receiver.close();
        double elapsed = (System.nanoTime() - start) / 1e9;
        return summary(out, duplicates, connections, elapsed);
    }

    /**
     * --ui: a receiver with its console and three slow senders (each its own stream), until Ctrl-C; each sender
     * prints the messages it gets, and so does this command, tagged with the sender's name.
     */
    private int watch(Path out, Path dir) throws Exception {
        ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).ui(true).build());
        Map<String, Process> senders = new ConcurrentHashMap<>();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            senders.values().forEach(p -> p.toHandle().destroyForcibly());
            try {
                receiver.close();
            } catch (IOException e) {
                System.err.println("wssink demo: closing the receiver: " + e.getMessage());
            }
        }, "wssink-demo-stop"));
        String[][] jobs = {{"backup", "2"}, {"build", "5"}, {"crawler", "1"}};
        for (String[] job : jobs) {
            Process p = ChildProcess.wssink("demo-sender", "--url", receiver.url(), "--spool",
                    dir.resolve(job[0]).toString(), "--tag", job[0], "--rate", job[1], "--print-messages").start();
            senders.put(job[0], p);
            DaemonThreads.newThread("demo-" + job[0] + "-out", () -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        if (line.startsWith("M ")) {
                            System.out.println(job[0] + " received: " + line.substring(2));
                            System.out.flush();
                        }
                    }
                } catch (IOException ignored) {
                    // the sender ended
                }
            }).start();
        }
        System.out.println("console on " + receiver.consoleUrl());
        System.out.println("senders backup (2 events/s), build (5/s) and crawler (1/s) are running; send them a"
                + " message from the page. Ctrl-C stops.");
        System.out.flush();
        new CountDownLatch(1).await(); // until a signal
        return ExitCodes.OK;
    }

    private static Spool openForStats(Path spool) throws InterruptedException {
        for (int i = 0; ; i++) {
            try {
                return Spool.open(SpoolConfig.builder(spool).createIfMissing(false).build());
            } catch (SpoolException notYet) {
                if (i > 200) {
                    throw notYet;
                }
                Thread.sleep(50); // the child creates the spool as it starts
            }
        }
    }

    /**
     * SIGKILL, then waits for the death and for the last "W" lines of the child. Not destroyForcibly(): on Linux it
     * also closes our end of the child's stdout, dropping lines the child wrote and the pump had not read yet, and
     * the summary then said more events were received than written.
     */
    private void kill(Process p) throws InterruptedException {
        p.toHandle().destroyForcibly();
        p.waitFor();
        Thread pump = pumps.remove(p);
        if (pump != null) {
            pump.join(10_000);
        }
    }

    private Process startSender(String url, Path spool, String tag) throws IOException {
        Process p = ChildProcess.wssink("demo-sender", "--url", url, "--spool", spool.toString(), "--tag", tag,
                "--rate", Integer.toString(rate)).start();
        AtomicLong count = confirmed.computeIfAbsent(tag, t -> new AtomicLong());
        Thread pump = DaemonThreads.newThread("demo-sender-out", () -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (line.startsWith("W ")) {
                        count.set(Long.parseLong(line.substring(2)) + 1); // events 0..n of this tag were written
                    }
                }
            } catch (IOException | NumberFormatException ignored) {
                // the child was killed mid-line: that line does not count
            }
        });
        pumps.put(p, pump);
        pump.start();
        return p;
    }

    private void progress(Spool stats, long connections) {
        SpoolStats s = stats.stats();
        System.err.printf("\r  written %9d  acknowledged %9d  backlog %8d  connections %3d  faults %2d   ",
                s.appendedEvents(), s.appendedEvents() - s.backlogEvents(), s.backlogEvents(), connections,
                cuts + receiverRestarts + senderKills);
    }

    private int summary(Path out, long duplicates, long connections, double elapsed) throws IOException {
        Map<String, BitSet> received = new HashMap<>();
        long unique = 0;
        try (Stream<String> lines = Files.lines(out)) {
            for (String line : (Iterable<String>) lines::iterator) {
                int dash = line.lastIndexOf('-');
                BitSet seen = received.computeIfAbsent(line.substring(0, dash), t -> new BitSet());
                int n = Integer.parseInt(line.substring(dash + 1));
                if (!seen.get(n)) {
                    seen.set(n);
                    unique++;
                }
            }
        }
        long written = 0;
        long lost = 0;
        for (Map.Entry<String, AtomicLong> e : confirmed.entrySet()) {
            long n = e.getValue().get();
            written += n;
            BitSet seen = received.getOrDefault(e.getKey(), new BitSet());
            lost += n - seen.get(0, (int) n).cardinality();
        }
        System.out.println();
        System.out.println("wssink demo: faults injected: " + cuts + " connection cuts, " + receiverRestarts
                + " receiver restarts, " + senderKills + " sender kills (SIGKILL)");
        System.out.printf("  %-40s %12d%n", "written (write returned)", written);
        System.out.printf("  %-40s %12d%n", "received (unique)", unique);
        System.out.printf("  %-40s %12d%n", "duplicates dropped by the receiver", duplicates);
        System.out.printf("  %-40s %12d%n", "lost", lost);
        System.out.printf("  %-40s %12d%n", "connections", connections);
        System.out.printf("  %-40s %12.0f events/s%n", "throughput (received / run time)", unique / elapsed);
        System.out.println(lost == 0 ? "nothing lost." : "LOST " + lost + " events.");
        return lost == 0 ? ExitCodes.OK : ExitCodes.LOST;
    }
}
