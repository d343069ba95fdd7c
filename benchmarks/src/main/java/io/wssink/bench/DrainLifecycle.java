package io.wssink.bench;

import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The JMH lifecycle of a {@link DrainRun}, shared by the drain and memory benchmarks: the backlog is written once per
 * trial, and each iteration resets its cursor and drains it all from a sink opened afresh.
 */
public abstract class DrainLifecycle {
    protected DrainRun run;

    /** A run for this benchmark's parameters. */
    protected abstract DrainRun newRun();

    @Setup(Level.Trial)
    public void prepare() {
        run = newRun();
        run.prepare();
    }

    @Setup(Level.Iteration)
    public void start() throws Exception {
        run.beforeIteration();
    }

    @TearDown(Level.Iteration)
    public void stop() throws Exception {
        run.afterIteration();
    }

    @TearDown(Level.Trial)
    public void delete() {
        run.delete();
    }
}
