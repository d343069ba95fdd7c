package io.wssink.receiver;

import io.wssink.WebSocketSink;
import io.wssink.testing.Output;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

class ReceiverLimitsTest {
    @TempDir
    Path tmp;

    @Test
    void manyConnectionsThatSendNothingAreClosedAndRealSinksAreStillServed() throws Exception {
        Path out = tmp.resolve("out.txt");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out)
                .idleTimeout(Duration.ofMillis(500)).build())) {
            List<Socket> idle = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                idle.add(new Socket(InetAddress.getLoopbackAddress(), receiver.port()));
            }
            try (WebSocketSink sink = WebSocketSink.builder().url(receiver.url()).spool(tmp.resolve("spool")).build()) {
                sink.acked(sink.write("served")).get(30, TimeUnit.SECONDS);
            }
            for (Socket s : idle) {
                s.setSoTimeout(10_000);
                try (InputStream in = s.getInputStream()) {
                    assertEquals(-1, in.read(), "the receiver closed a connection that never sent a request");
                }
            }
        }
        assertEquals(List.of("served"), Output.lines(out));
    }

    @Test
    void aFrameLargerThanTheReceiversLimitClosesTheConnectionAndTheSinkKeepsTheEvent() throws Exception {
        Path out = tmp.resolve("out.txt");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).maxFrameBytes(4096)
                .maxMessageBytes(4096).build());
             WebSocketSink sink = WebSocketSink.builder().url(receiver.url()).spool(tmp.resolve("spool"))
                     .backoff(Duration.ofMillis(10), Duration.ofMillis(50)).build()) {
            sink.write("x".repeat(10_000));
            await().atMost(Duration.ofSeconds(30)).until(() -> sink.status().failedAttempts() >= 2);
            assertTrue(sink.status().lastError().contains("1009"), sink.status().lastError());
            assertEquals(1, sink.status().spool().backlogEvents(), "kept in the spool");
            assertEquals(0, receiver.store().records());
        }
    }

    @Test
    void streamsPastTheCapAreRefusedAndStreamsItHoldsGoOn() throws Exception {
        Path out = tmp.resolve("out.txt");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).maxStreams(1).build())) {
            try (WebSocketSink first = WebSocketSink.builder().url(receiver.url()).spool(tmp.resolve("a")).build()) {
                first.acked(first.write("first stream")).get(30, TimeUnit.SECONDS);
            }
            try (WebSocketSink second = WebSocketSink.builder().url(receiver.url()).spool(tmp.resolve("b"))
                    .backoff(Duration.ofMillis(10), Duration.ofMillis(50)).build()) {
                second.write("second stream");
                await().atMost(Duration.ofSeconds(30)).until(() -> second.status().lastError() != null
                        && second.status().lastError().contains("1008"));
                assertEquals(1, second.status().spool().backlogEvents(), "kept in the spool");
            }
            try (WebSocketSink first = WebSocketSink.builder().url(receiver.url()).spool(tmp.resolve("a")).build()) {
                first.acked(first.write("first again")).get(30, TimeUnit.SECONDS);
            }
        }
        assertEquals(List.of("first stream", "first again"), Output.lines(out));
    }
}
