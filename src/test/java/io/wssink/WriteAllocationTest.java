package io.wssink;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.sun.management.ThreadMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The append allocates nothing (docs/SPOOL.md), for bytes and for text, ASCII or not: counted as the bytes the
 * writing thread itself allocated (the JVM's per-thread counter), so neither other threads nor GC timing blur it, and
 * no timing is involved. The JIT removes some allocations only once it compiles the path, which a loaded machine
 * delays: each kind gets up to {@value #ROUNDS} rounds, and passes when one round stays under 1 byte per write.
 */
class WriteAllocationTest {
    private static final int WARMUP = 30_000;
    private static final int PER_ROUND = 50_000;
    private static final int ROUNDS = 6;

    @TempDir
    Path tmp;

    @Test
    void writingBytesAsciiTextAndNonAsciiTextAllocatesNothingPerEvent() {
        ThreadMXBean threads = threadBean();
        byte[] bytes = new byte[100];
        String ascii = "x".repeat(100);
        String nonAscii = "é€".repeat(20); // 100 bytes in UTF-8
        try (WebSocketSink sink = WebSocketSink.builder().url("ws://127.0.0.1:1/").spool(tmp.resolve("spool"))
                .build()) {
            List<String> failures = new ArrayList<>();
            check("write(byte[])", () -> sink.write(bytes), threads, failures);
            check("write(CharSequence), ASCII", () -> sink.write(ascii), threads, failures);
            check("write(CharSequence), non-ASCII", () -> sink.write(nonAscii), threads, failures);
            assertTrue(failures.isEmpty(), String.join("; ", failures));
        }
    }

    private static void check(String what, LongSupplier write, ThreadMXBean threads,
                              List<String> failures) {
        for (int i = 0; i < WARMUP; i++) {
            write.getAsLong();
        }
        double best = Double.MAX_VALUE;
        for (int round = 0; round < ROUNDS && best >= 1.0; round++) {
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < PER_ROUND; i++) {
                write.getAsLong();
            }
            best = Math.min(best, (threads.getCurrentThreadAllocatedBytes() - before) / (double) PER_ROUND);
        }
        if (best >= 1.0) {
            failures.add(String.format("%s allocated %.2f bytes per write at best over %d rounds of %d", what, best,
                    ROUNDS, PER_ROUND));
        }
    }

    private static ThreadMXBean threadBean() {
        Object bean = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(bean instanceof ThreadMXBean,
                "this JVM does not count the bytes a thread allocates");
        ThreadMXBean threads = (ThreadMXBean) bean;
        Assumptions.assumeTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled(),
                "this JVM does not count the bytes a thread allocates");
        return threads;
    }
}
