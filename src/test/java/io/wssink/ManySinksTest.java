package io.wssink;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.wssink.internal.receiver.ReceiverConfig;
import io.wssink.internal.receiver.ReferenceReceiver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Many sinks in one process share their threads: before, each sink had an event loop group, a forwarder thread and a
 * message thread of its own (100 sinks: over 300 threads).
 */
class ManySinksTest {
    private static final int SINKS = 100;
    private static final int EVENTS_PER_SINK = 50;

    @TempDir
    Path tmp;

    @Test
    void aHundredSinksUseFewerThanTwentyThreadsAndAllDeliver() throws Exception {
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(tmp.resolve("out.txt"))
                .maxConnections(SINKS + 10).build())) {
            Set<Long> before = liveThreadIds();
            List<WebSocketSink> sinks = new ArrayList<>();
            try {
                for (int i = 0; i < SINKS; i++) {
                    sinks.add(WebSocketSink.builder().url(receiver.url()).spool(tmp.resolve("spool-" + i)).build());
                }
                List<CompletableFuture<Void>> acks = new ArrayList<>();
                for (int i = 0; i < SINKS; i++) {
                    long last = 0;
                    for (int e = 0; e < EVENTS_PER_SINK; e++) {
                        last = sinks.get(i).write("sink " + i + " event " + e);
                    }
                    acks.add(sinks.get(i).acked(last));
                }
                CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

                List<Thread> started = Thread.getAllStackTraces().keySet().stream()
                        .filter(t -> t.isAlive() && !before.contains(t.getId())).toList();
                String names = started.stream().map(Thread::getName).sorted().collect(Collectors.joining(", "));
                assertTrue(started.size() < 20, SINKS + " sinks started " + started.size() + " threads: " + names);
                long ours = Thread.getAllStackTraces().keySet().stream()
                        .filter(t -> t.getName().startsWith("wssink-")).count();
                assertTrue(ours < 20, SINKS + " sinks: " + ours + " live wssink threads in all: " + names);
                assertEquals((long) SINKS * EVENTS_PER_SINK, receiver.store().records(), "every event arrived");
            } finally {
                for (WebSocketSink s : sinks) {
                    s.close();
                }
            }
        }
    }

    @Test
    void sinksClosedOnSharedThreadsLeaveTheOthersDeliveringAndNewOnesStartThere() throws Exception {
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(tmp.resolve("out.txt"))
                .build())) {
            List<WebSocketSink> sinks = new ArrayList<>();
            try {
                for (int i = 0; i < 10; i++) { // more sinks than shared threads: several share each runner and loop
                    sinks.add(WebSocketSink.builder().url(receiver.url()).spool(tmp.resolve("spool-" + i)).build());
                }
                for (int i = 0; i < 10; i++) {
                    sinks.get(i).acked(sinks.get(i).write("before " + i)).get(30, TimeUnit.SECONDS);
                }
                for (int i = 0; i < 10; i += 2) {
                    sinks.get(i).close();
                }
                sinks.add(WebSocketSink.builder().url(receiver.url()).spool(tmp.resolve("spool-0")).build());
                List<CompletableFuture<Void>> acks = new ArrayList<>();
                for (int i : new int[] {1, 3, 5, 7, 9, 10}) { // the five left open, and the one opened since
                    acks.add(sinks.get(i).acked(sinks.get(i).write("after " + i)));
                }
                CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
                assertEquals(16, receiver.store().records(), "10 before, then 5 left open and 1 reopened");
            } finally {
                for (WebSocketSink s : sinks) {
                    s.close(); // a second close of a closed sink does nothing
                }
            }
        }
    }

    @Test
    void aSinkClosedFromADependentActionOfItsAckClosesWithoutWaitingForItself() throws Exception {
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(tmp.resolve("out.txt"))
                .build())) {
            WebSocketSink sink = WebSocketSink.builder().url(receiver.url()).spool(tmp.resolve("spool")).build();
            CompletableFuture<String> closedOn = new CompletableFuture<>();
            // registered microseconds after the write, long before its ack can come back: it runs on the thread
            // that completes the future, the forwarder's
            sink.acked(sink.write("last")).thenRun(() -> {
                sink.close();
                closedOn.complete(Thread.currentThread().getName());
            });
            // the drain timeout (5 s) plus the forwarder's grace (10 s) is what waiting for itself would take
            String thread = closedOn.get(10, TimeUnit.SECONDS);
            assertEquals("wssink-forwarder", thread, "the action ran on the forwarder's thread, the case under test");
            assertEquals(1, receiver.store().records());
            sink.close();
        }
    }

    @Test
    void aSinkRunsOnTheProgramsOwnEventLoopGroupAndLeavesItRunning() throws Exception {
        AtomicInteger ownThreads = new AtomicInteger();
        // Netty starts a loop's thread with its first task: here, only the sink's channel can start it
        EventLoopGroup own = new MultiThreadIoEventLoopGroup(1, body -> {
            ownThreads.incrementAndGet();
            return new Thread(body, "program-io");
        }, NioIoHandler.newFactory());
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(tmp.resolve("out.txt"))
                .build())) {
            try (WebSocketSink sink = WebSocketSink.builder().url(receiver.url()).spool(tmp.resolve("spool"))
                    .eventLoopGroup(own).build()) {
                sink.acked(sink.write("on the program's group")).get(30, TimeUnit.SECONDS);
                assertEquals(1, ownThreads.get(), "the sink's connection ran on the program's group");
                assertEquals(1, receiver.store().records());
            }
            assertFalse(own.isShuttingDown(), "the sink shut down a group it does not own");
            CompletableFuture<Boolean> stillRuns = new CompletableFuture<>();
            own.next().execute(() -> stillRuns.complete(true));
            assertTrue(stillRuns.get(10, TimeUnit.SECONDS), "the program's group still runs tasks after the sink closed");
        } finally {
            own.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private static Set<Long> liveThreadIds() {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getId).collect(Collectors.toSet());
    }
}
