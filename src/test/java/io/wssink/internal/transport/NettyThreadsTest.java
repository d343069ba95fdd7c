package io.wssink.internal.transport;

import io.netty.util.concurrent.FastThreadLocalThread;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** docs/ARCHITECTURE.md, "Threads": the shared event loops run on daemon FastThreadLocalThreads named wssink-io. */
class NettyThreadsTest {
    @Test
    void theSharedEventLoopRunsOnDaemonFastThreadLocalThreadsNamedWssinkIo() throws Exception {
        Thread loop = SharedEventLoop.group().next().submit(Thread::currentThread).get(10, TimeUnit.SECONDS);
        assertInstanceOf(FastThreadLocalThread.class, loop, "Netty's allocator takes its slow path on a plain thread");
        assertTrue(loop.isDaemon());
        assertEquals("wssink-io", loop.getName());
    }

    @Test
    void newThreadMakesANamedDaemonFastThreadLocalThreadNotStarted() {
        Thread t = NettyThreads.newThread("wssink-forwarder", () -> { });
        assertInstanceOf(FastThreadLocalThread.class, t);
        assertTrue(t.isDaemon());
        assertEquals("wssink-forwarder", t.getName());
        assertEquals(Thread.State.NEW, t.getState());
    }
}
