package io.wssink.internal;

import java.util.concurrent.ThreadFactory;

/**
 * The library's own threads: daemons, so that a program that forgets to close a sink still exits (what was not
 * acknowledged stays in the spool), and named, so that a thread dump says whose they are.
 */
public final class DaemonThreads {
    private DaemonThreads() {
    }

    /** A daemon thread named {@code name}, not started. */
    public static Thread newThread(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        return t;
    }

    /** A factory of daemon threads, each named {@code name}. */
    public static ThreadFactory factory(String name) {
        return body -> newThread(name, body);
    }
}
