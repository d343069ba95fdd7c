package io.wssink.internal.receiver;

import io.wssink.WebSocketSink;
import io.wssink.testing.Output;
import io.wssink.testing.RawWebSocket;
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

    @Test
    void connectionsPastMaxConnectionsGet503AndTheOnesHeldGoOn() throws Exception {
        Path out = tmp.resolve("out.txt");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).maxConnections(2).build());
             WebSocketSink sink = WebSocketSink.builder().url(receiver.url()).spool(tmp.resolve("spool")).build()) {
            sink.acked(sink.write("first")).get(30, TimeUnit.SECONDS);
            try (RawWebSocket second = RawWebSocket.handshake(receiver.port())) {
                assertEquals(101, second.status(), "the second of two");
                try (RawWebSocket third = RawWebSocket.handshake(receiver.port())) {
                    assertEquals(503, third.status());
                    assertTrue(third.body().contains("maximum of 2 connections"));
                }
                assertEquals(1, receiver.refusedConnections());
            }
            sink.acked(sink.write("second")).get(30, TimeUnit.SECONDS);
        }
        assertEquals(List.of("first", "second"), Output.lines(out));
    }

    @Test
    void aStreamIdleForLongerThanForgetAfterIsForgottenSoANewStreamFindsRoom() throws Exception {
        Path out = tmp.resolve("out.txt");
        String a = "00000000-0000-4000-8000-00000000000a";
        String b = "00000000-0000-4000-8000-00000000000b";
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).maxStreams(1)
                .forgetAfter(Duration.ofMillis(300)).build())) {
            try (RawWebSocket first = RawWebSocket.handshake(receiver.port(), RawWebSocket.wssink(a))) {
                assertEquals("{\"ack\":\"0\"}", first.read().text());
                first.binary(HostileClientTest.records(7, "from a"));
                assertEquals("{\"ack\":\"7\"}", first.read().text());
                try (RawWebSocket whileConnected = RawWebSocket.handshake(receiver.port(), RawWebSocket.wssink(b))) {
                    assertEquals(1008, whileConnected.readUntilClose().closeStatus(), "a connected stream is never"
                            + " forgotten");
                }
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                try (RawWebSocket later = RawWebSocket.handshake(receiver.port(), RawWebSocket.wssink(b))) {
                    return later.read().opcode() == RawWebSocket.TEXT;
                }
            });
            assertEquals(1, receiver.store().streams());
        }
        try (ReferenceReceiver restarted = ReferenceReceiver.start(ReceiverConfig.builder(out).build());
             RawWebSocket again = RawWebSocket.handshake(restarted.port(), RawWebSocket.wssink(a))) {
            assertEquals("{\"ack\":\"0\"}", again.read().text(), "the state file forgot stream a too");
        }
    }

    @Test
    void withFormatJsonlAnEventHoldingALineBreakIsOneEscapedLine() throws Exception {
        Path out = tmp.resolve("out.jsonl");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out)
                .format(OutputFormat.JSONL).build());
             WebSocketSink sink = WebSocketSink.builder().url(receiver.url()).spool(tmp.resolve("spool")).build()) {
            sink.write("two\nlines \"quoted\" \\ é");
            sink.acked(sink.write(new byte[] {(byte) 0xff, 0, 1})).get(30, TimeUnit.SECONDS);
        }
        assertEquals(List.of("\"two\\nlines \\\"quoted\\\" \\\\ é\"", "{\"base64\":\"/wAB\"}"),
                Output.lines(out));
    }
}
