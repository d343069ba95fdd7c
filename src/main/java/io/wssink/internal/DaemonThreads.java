package io.wssink.internal;

import java.util.concurrent.ThreadFactory;
import java.util.function.BiFunction;

/**
 * The library's own threads: daemons, so that a program that forgets to close a sink still exits (what was not
 * acknowledged stays in the spool), and named, so that a thread dump says whose they are.
 */
public final class DaemonThreads {
    private DaemonThreads() {
    }

    /** A daemon thread named {@code name}, not started. */
    public static Thread newThread(String name, Runnable body) {
        return newThread(name, body, Thread::new);
    }

    /**
     * A daemon thread named {@code name}, not started, made by {@code make} (a Thread subclass's (body, name)
     * constructor).
     */
    public static Thread newThread(String name, Runnable body, BiFunction<Runnable, String, ? extends Thread> make) {
        Thread t = make.apply(body, name);
        t.setDaemon(true);
        return t;
    }

    /** A factory of daemon threads, each named {@code name}. */
    public static ThreadFactory factory(String name) {
        return factory(name, Thread::new);
    }

    /** A factory of daemon threads made by {@code make}, each named {@code name}. */
    public static ThreadFactory factory(String name, BiFunction<Runnable, String, ? extends Thread> make) {
        return body -> newThread(name, body, make);
    }
}
