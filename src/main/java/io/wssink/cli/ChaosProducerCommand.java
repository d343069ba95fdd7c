package io.wssink.cli;

import io.wssink.internal.DaemonThreads;
import io.wssink.internal.spool.Spool;
import io.wssink.internal.spool.SpoolConfig;
import io.wssink.spool.FullPolicy;
import io.wssink.spool.RollPeriod;
import io.wssink.spool.SpoolFullException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;

/**
 * The chaos soak's producer: appends "p-n xxx..." events to a spool (no forwarding; the sender is another process)
 * and prints "W n" once each append returned. It stops when its stdin closes, and prints the longest an append
 * waited for room ("MAXWAIT ms") and "DONE".
 */
@Command(name = "chaos-producer", hidden = true)
final class ChaosProducerCommand implements Callable<Integer> {
    @Option(names = "--spool", required = true)
    Path spool;
    @Option(names = "--rate", defaultValue = "5000")
    int rate;
    @Option(names = "--size", defaultValue = "256")
    int size;

    private volatile boolean stop;

    @Override
    public Integer call() throws Exception {
        Thread stdin = DaemonThreads.newThread("stdin-watch", () -> {
            try {
                while (System.in.read() != -1) {
                    // the orchestrator closes stdin to stop us
                }
            } catch (IOException ignored) {
                // closed either way
            }
            stop = true;
        });
        stdin.start();
        SpoolConfig config = SpoolConfig.builder(spool).rollPeriod(RollPeriod.TEST_SECONDLY).blockSize(1 << 20)
                .minFreeDiskBytes(4 << 20).fullPolicy(FullPolicy.BLOCK).blockTimeout(Duration.ofSeconds(5)).build();
        BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16);
        long maxWaitNanos = 0;
        long fullTimeouts = 0;
        try (Spool s = Spool.open(config)) {
            StringBuilder event = new StringBuilder(size + 16);
            long nanosPerEvent = 1_000_000_000L / rate;
            long next = System.nanoTime();
            for (long n = 0; !stop; n++) {
                event.setLength(0);
                event.append("p-").append(n).append(' ');
                while (event.length() < size) {
                    event.append('x');
                }
                long before = System.nanoTime();
                boolean appended = false;
                while (!appended && !stop) {
                    try {
                        s.append(event);
                        appended = true;
                    } catch (SpoolFullException full) {
                        fullTimeouts++; // BLOCK gave up after its timeout: the disk is still full; wait on
                        out.flush();
                    }
                }
                if (!appended) {
                    break; // told to stop while waiting for room: this event was never written, nor reported
                }
                long waited = System.nanoTime() - before;
                maxWaitNanos = Math.max(maxWaitNanos, waited);
                out.write("W ");
                out.write(Long.toString(n));
                out.newLine();
                if ((n & 63) == 63) {
                    out.flush();
                }
                next = Math.max(next + nanosPerEvent, System.nanoTime() - 1_000_000_000L);
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
            }
        }
        out.write("MAXWAIT " + maxWaitNanos / 1_000_000 + " " + fullTimeouts);
        out.newLine();
        out.write("DONE");
        out.newLine();
        out.flush();
        return ExitCodes.OK;
    }
}
