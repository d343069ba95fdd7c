package io.wssink.internal.forward;

import io.wssink.internal.transport.NettyThreads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;

/**
 * A thread that runs the turns of many forwarders, the way Agrona's agent runner runs a composite of agents: a pass
 * gives a turn to each forwarder that is due (woken, or its idle time is up), and the thread parks after a pass in
 * which none did any work, until the earliest forwarder's idle time is up or one is woken. One thread per sink cost
 * a thread per sink (100 sinks: 100 forwarder threads); a process has {@link #THREADS} of these, shared, each
 * started with its first forwarder and never stopped (a daemon that parks while it has none).
 *
 * <p>A forwarder never blocks in a turn (it reads the spool and writes to a channel's buffer, the socket is the
 * event loop's), so a forwarder with a backlog delays the others by a turn at most: 64 frames.
 */
final class ForwarderRunner {
    private static final Logger log = LoggerFactory.getLogger(ForwarderRunner.class);
    /** One per core, at most 4. */
    static final int THREADS = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
    /** The longest park: while it serves no forwarder, it wakes once a second to look again. */
    private static final long EMPTY_PARK_NANOS = 1_000_000_000L;

    private static final ForwarderRunner[] RUNNERS = new ForwarderRunner[THREADS];

    /** Added and removed by any thread (start and end of a sink); iterated by this runner's thread. */
    private final CopyOnWriteArrayList<Forwarder> forwarders = new CopyOnWriteArrayList<>();
    private final Thread thread;

    private ForwarderRunner() {
        this.thread = NettyThreads.newThread("wssink-forwarder", this::run); // it allocates the frames
    }

    /** The process-wide runner serving the fewest forwarders; its thread is started by the first one. */
    static synchronized ForwarderRunner leastLoaded() {
        ForwarderRunner best = null;
        for (int i = 0; i < RUNNERS.length; i++) {
            if (RUNNERS[i] == null) {
                RUNNERS[i] = new ForwarderRunner();
                return RUNNERS[i];
            }
            if (best == null || RUNNERS[i].forwarders.size() < best.forwarders.size()) {
                best = RUNNERS[i];
            }
        }
        return best;
    }

    /** Starts giving {@code f} turns. Any thread. */
    synchronized void add(Forwarder f) {
        forwarders.add(f);
        if (!thread.isAlive()) {
            thread.start();
        }
        unpark();
    }

    /** Stops giving {@code f} turns; called by this runner's thread after f's last turn. */
    void remove(Forwarder f) {
        forwarders.remove(f);
    }

    /** Ends a park of this runner's thread (or the next one): a forwarder was woken. Any thread. */
    void unpark() {
        LockSupport.unpark(thread);
    }

    boolean isRunnerThread() {
        return Thread.currentThread() == thread;
    }

    private void run() {
        while (true) {
            try {
                pass();
            } catch (Throwable t) { // a turn catches its own: this would be a bug here, and the thread serves others
                log.error("forwarder runner: unexpected error; carrying on with the next pass", t);
                LockSupport.parkNanos(this, EMPTY_PARK_NANOS);
            }
        }
    }

    private void pass() {
        boolean worked = false;
        long now = System.nanoTime();
        long park = EMPTY_PARK_NANOS;
        for (Forwarder f : forwarders) {
            if (f.turnIfDue(now)) {
                worked = true;
            }
            park = Math.min(park, f.nanosUntilDue(now));
        }
        if (!worked && park > 0) {
            LockSupport.parkNanos(this, park);
        }
    }
}
