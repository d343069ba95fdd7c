package io.wssink.internal.transport;

import io.netty.util.concurrent.FastThreadLocalThread;
import io.wssink.internal.DaemonThreads;

import java.util.concurrent.ThreadFactory;

/**
 * The library's threads that allocate Netty buffers (the event loops, the forwarders): daemons, named, as
 * {@link DaemonThreads}' are, and {@link FastThreadLocalThread}s, as Netty's own factory makes
 * them. On a plain thread each buffer Netty's allocator hands out first looks the thread up in a set of threads that
 * clean their thread-locals up (JFR: 15% of the event loop's samples in {@code FallbackThreadSet.contains} with raw
 * frames of 100 B); on one of these it is a type check, and those samples are gone. What it did not do: lift raw
 * mode's throughput, which stayed where it was in an alternated A/B (benchmarks/README.md, session 7).
 */
public final class NettyThreads {
    private NettyThreads() {
    }

    /** A daemon {@link FastThreadLocalThread} named {@code name}, not started. */
    public static Thread newThread(String name, Runnable body) {
        return DaemonThreads.newThread(name, body, FastThreadLocalThread::new);
    }

    /** A factory of such threads, each named {@code name}. */
    public static ThreadFactory factory(String name) {
        return DaemonThreads.factory(name, FastThreadLocalThread::new);
    }
}
