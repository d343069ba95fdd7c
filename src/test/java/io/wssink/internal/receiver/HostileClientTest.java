package io.wssink.internal.receiver;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.wssink.WebSocketSink;
import io.wssink.internal.spool.Spool;
import io.wssink.internal.spool.SpoolConfig;
import io.wssink.protocol.WireFormat;
import io.wssink.testing.Output;
import io.wssink.testing.RawWebSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.zip.Deflater;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Attacks on the reference receiver, each next to a legitimate sink: every attack gets a clear refusal (an HTTP status
 * or a close status with a reason), and the legitimate stream loses nothing and gets nothing forged into it.
 */
class HostileClientTest {
    private static final String OTHER = "0d2c4e6f-8a1b-4c3d-9e5f-7a6b5c4d3e2f";

    @TempDir
    Path tmp;

    /** Writes "legit-0..n-1" through a real sink and checks the output holds exactly them, once each. */
    private void legitimateStreamLosesNothing(ReferenceReceiver receiver, WebSocketSink sink, int from, int n)
            throws Exception {
        long last = 0;
        for (int i = from; i < from + n; i++) {
            last = sink.write("legit-" + i);
        }
        try {
            sink.acked(last).get(60, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("not acked: " + sink.status() + "; receiver took " + receiver.store().records(), e);
        }
    }

    private WebSocketSink sink(ReferenceReceiver receiver, String spool, String... headers) {
        WebSocketSink.Builder b = WebSocketSink.builder().url(receiver.url()).spool(tmp.resolve(spool))
                .backoff(Duration.ofMillis(10), Duration.ofMillis(100));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return b.build();
    }

    private String streamIdOf(String spool) {
        try (Spool s = Spool.open(SpoolConfig.builder(tmp.resolve(spool)).build())) {
            return s.streamId();
        }
    }

    static byte[] records(long firstId, String... payloads) {
        ByteBuf frame = Unpooled.buffer();
        long id = firstId;
        for (String p : payloads) {
            byte[] b = p.getBytes(StandardCharsets.UTF_8);
            WireFormat.writeRecord(frame, id++, b, 0, b.length);
        }
        return ByteBufUtil.getBytes(frame);
    }

    @Test
    void aSpoofedStreamIsRefusedWhenTokensAreBoundToStreamsAndAStreamIdThatIsNoUuidIsRefusedAlways() throws Exception {
        Path out = tmp.resolve("out.txt");
        String legit = streamIdOf("spool");
        Path tokens = Files.writeString(tmp.resolve("tokens"), "legit-token " + legit + "\nother-token " + OTHER + "\n");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).tokenFile(tokens).build());
             WebSocketSink sink = sink(receiver, "spool", "Authorization", "Bearer legit-token")) {
            legitimateStreamLosesNothing(receiver, sink, 0, 100);
            try (RawWebSocket spoof = RawWebSocket.handshake(receiver.port(),
                    RawWebSocket.wssink(legit, "Authorization", "Bearer other-token"))) {
                assertEquals(403, spoof.status());
                assertTrue(spoof.body().contains("may not write stream " + legit));
            }
            try (RawWebSocket noUuid = RawWebSocket.handshake(receiver.port(),
                    RawWebSocket.wssink("not-a-uuid", "Authorization", "Bearer other-token"))) {
                assertEquals(400, noUuid.status());
                assertTrue(noUuid.body().contains("UUID"));
            }
            try (RawWebSocket rawMode = RawWebSocket.handshake(receiver.port(), "Authorization", "Bearer other-token")) {
                assertEquals(403, rawMode.status(), "a token bound to streams cannot use raw mode");
            }
            legitimateStreamLosesNothing(receiver, sink, 100, 100);
            assertEquals(0, receiver.store().duplicates());
        }
        Output.assertExactly(out, "legit-", 200);
    }

    @Test
    void aSecondConnectionForAStreamReplacesTheFirstAndIsItselfReplacedWhenTheSinkComesBack() throws Exception {
        Path out = tmp.resolve("out.txt");
        String legit = streamIdOf("spool");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).build());
             WebSocketSink sink = sink(receiver, "spool")) {
            legitimateStreamLosesNothing(receiver, sink, 0, 100);
            try (RawWebSocket second = RawWebSocket.handshake(receiver.port(), RawWebSocket.wssink(legit))) {
                assertEquals(101, second.status());
                // the sink's connection was closed for it; the sink reconnects and replaces this one in turn
                RawWebSocket.Frame close = second.readUntilClose();
                assertNotNull(close, "closed with a close frame");
                assertEquals(1008, close.closeStatus());
                assertTrue(close.closeReason().contains("replaced by a newer connection"), close.closeReason());
            }
            legitimateStreamLosesNothing(receiver, sink, 100, 100);
            assertTrue(receiver.replacedConnections() >= 2, "both replacements counted");
        }
        Output.assertExactly(out, "legit-", 200);
    }

    @Test
    void aHandshakeFromAWebPageIsRefusedUnlessItsOriginIsAllowed() throws Exception {
        Path out = tmp.resolve("out.txt");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).speaksWssink(false)
                .allowOrigin("https://dashboard.example").build());
             WebSocketSink sink = sink(receiver, "spool")) {
            for (String origin : new String[] {"https://evil.example", "http://localhost:" + receiver.port(),
                    "http://127.0.0.1:1"}) {
                try (RawWebSocket page = RawWebSocket.handshake(receiver.port(), "Origin", origin)) {
                    assertEquals(403, page.status(), origin);
                    assertTrue(page.body().contains("Origin not allowed"));
                }
            }
            try (RawWebSocket allowed = RawWebSocket.handshake(receiver.port(), "Origin", "https://dashboard.example")) {
                assertEquals(101, allowed.status());
                allowed.text("from the dashboard");
                await().atMost(Duration.ofSeconds(30)).until(() -> receiver.store().records() == 1);
            }
            sink.acked(sink.write("legit-0")).get(30, TimeUnit.SECONDS);
        }
        assertEquals(List.of("from the dashboard", "legit-0"), Output.lines(out));
    }

    @Test
    void anEventHoldingALineBreakIsRefusedAndForgesNoLine() throws Exception {
        Path out = tmp.resolve("out.txt");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).build());
             WebSocketSink sink = sink(receiver, "spool")) {
            legitimateStreamLosesNothing(receiver, sink, 0, 10);
            try (RawWebSocket forger = RawWebSocket.handshake(receiver.port(), RawWebSocket.wssink(OTHER))) {
                forger.binary(records(1, "innocent", "legit-10\nlegit-11"));
                RawWebSocket.Frame close = forger.readUntilClose();
                assertEquals(1007, close.closeStatus());
                assertTrue(close.closeReason().contains("line break"), close.closeReason());
            }
            try (RawWebSocket rawForger = RawWebSocket.handshake(receiver.port())) {
                rawForger.text("legit-10\rlegit-11");
                assertEquals(1007, rawForger.readUntilClose().closeStatus());
            }
            legitimateStreamLosesNothing(receiver, sink, 10, 10);
        }
        Output.assertExactly(out, "legit-", 20); // "innocent" went with its frame: a frame is taken whole or not at all
    }

    @Test
    void oversizedAndMalformedFramesAreRefusedWithTheirCloseStatus() throws Exception {
        Path out = tmp.resolve("out.txt");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).compression(false).build());
             WebSocketSink sink = sink(receiver, "spool")) {
            legitimateStreamLosesNothing(receiver, sink, 0, 10);
            try (RawWebSocket big = RawWebSocket.handshake(receiver.port(), RawWebSocket.wssink(OTHER))) {
                // a header announcing 100 MiB: refused before any of it is buffered
                big.send(new byte[] {(byte) 0x82, (byte) (0x80 | 127), 0, 0, 0, 0, 0x06, 0x40, 0, 0, 1, 2, 3, 4});
                assertEquals(1009, big.readUntilClose().closeStatus());
            }
            try (RawWebSocket truncated = RawWebSocket.handshake(receiver.port(), RawWebSocket.wssink(OTHER))) {
                byte[] frame = records(1, "whole", "cut short");
                truncated.binary(Arrays.copyOf(frame, frame.length - 3));
                RawWebSocket.Frame close = truncated.readUntilClose();
                assertEquals(1007, close.closeStatus());
                assertTrue(close.closeReason().contains("runs past the frame's end"), close.closeReason());
            }
            try (RawWebSocket unmasked = RawWebSocket.handshake(receiver.port(), RawWebSocket.wssink(OTHER))) {
                unmasked.send(new byte[] {(byte) 0x82, 3, 1, 2, 3}); // a client frame must be masked
                assertEquals(1002, unmasked.readUntilClose().closeStatus());
            }
            legitimateStreamLosesNothing(receiver, sink, 10, 10);
            assertEquals(0, receiver.store().records() - 20 - receiver.store().duplicates(), "nothing else written");
        }
        Output.assertExactly(out, "legit-", 20);
    }

    @Test
    void aDeflateBombIsRefusedBeforeItInflatesPastTheMessageLimit() throws Exception {
        Path out = tmp.resolve("out.txt");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).build());
             WebSocketSink sink = sink(receiver, "spool")) {
            legitimateStreamLosesNothing(receiver, sink, 0, 10);
            // 256 MiB of zeros in a record, deflated to about 256 KiB: far below the frame limit
            ByteBuf plain = Unpooled.buffer();
            plain.writeLong(1).writeInt(256 << 20); // one record header announcing 256 MiB of payload
            Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION, true);
            ByteArrayOutputStream compressed = new ByteArrayOutputStream();
            byte[] buf = new byte[1 << 16];
            for (int i = -1; i < 256; i++) {
                deflater.setInput(i < 0 ? ByteBufUtil.getBytes(plain) : new byte[1 << 20]);
                int n;
                while (!deflater.needsInput() && (n = deflater.deflate(buf, 0, buf.length, Deflater.NO_FLUSH)) >= 0) {
                    compressed.write(buf, 0, n);
                }
            }
            int n;
            while ((n = deflater.deflate(buf, 0, buf.length, Deflater.SYNC_FLUSH)) > 0) {
                compressed.write(buf, 0, n);
            }
            byte[] body = compressed.toByteArray();
            byte[] payload = Arrays.copyOf(body, body.length - 4); // permessage-deflate drops 00 00 ff ff
            assertTrue(payload.length < (2 << 20), "the bomb fits one frame: " + payload.length);
            try (RawWebSocket bomb = RawWebSocket.handshake(receiver.port(), RawWebSocket.wssink(OTHER,
                    "Sec-WebSocket-Extensions", "permessage-deflate"))) {
                assertEquals(101, bomb.status());
                assertNotNull(bomb.header("Sec-WebSocket-Extensions"), "deflate was negotiated");
                bomb.frame(RawWebSocket.BINARY, payload, true);
                RawWebSocket.Frame close = bomb.readUntilClose();
                assertNotNull(close, "closed with a close frame");
                assertEquals(1009, close.closeStatus(), close.closeReason());
                assertTrue(close.closeReason().contains("larger than the receiver's limit"), close.closeReason());
            }
            legitimateStreamLosesNothing(receiver, sink, 10, 10);
        }
        Output.assertExactly(out, "legit-", 20);
    }

    @Test
    void aByteTrickleCannotHoldAConnectionPastTheHandshakeDeadline() throws Exception {
        Path out = tmp.resolve("out.txt");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out)
                .handshakeTimeout(Duration.ofSeconds(1)).idleTimeout(Duration.ofSeconds(60)).build());
             WebSocketSink sink = sink(receiver, "spool");
             RawWebSocket trickle = RawWebSocket.connect(receiver.port())) {
            byte[] request = RawWebSocket.request(receiver.port(), RawWebSocket.wssink(OTHER));
            Thread writer = new Thread(() -> {
                try {
                    for (byte b : request) {
                        trickle.send(new byte[] {b});
                        Thread.sleep(200); // the attack's pace: one byte per 200 ms, well inside the idle timeout
                    }
                } catch (IOException | InterruptedException closed) {
                    // the receiver closed the connection: the point of the test
                }
            }, "trickle");
            writer.setDaemon(true);
            writer.start();
            assertTrue(trickle.awaitEnd(20), "closed within 20 s though the request takes "
                    + request.length / 5 + " s to trickle in");
            writer.interrupt();
            legitimateStreamLosesNothing(receiver, sink, 0, 10);
        }
        Output.assertExactly(out, "legit-", 10);
    }

    @Test
    void the1025thStreamIsRefusedAndTheStreamsHeldGoOn() throws Exception {
        Path out = tmp.resolve("out.txt");
        try (ReferenceReceiver receiver = ReferenceReceiver.start(ReceiverConfig.builder(out).build());
             WebSocketSink sink = sink(receiver, "spool")) {
            legitimateStreamLosesNothing(receiver, sink, 0, 10);
            List<String> refused = new ArrayList<>();
            for (int i = 1; i <= 1024; i++) {
                try (RawWebSocket s = RawWebSocket.handshake(receiver.port(),
                        RawWebSocket.wssink(new UUID(0x5eed, i).toString()))) {
                    assertEquals(101, s.status());
                    RawWebSocket.Frame first = s.read();
                    if (first.opcode() == RawWebSocket.CLOSE) {
                        refused.add(i + ": " + first.closeStatus() + " " + first.closeReason());
                    } else {
                        assertEquals("{\"ack\":\"0\"}", first.text(), "the resume ack of a new stream");
                    }
                }
            }
            assertEquals(List.of("1024: 1008 too many streams; retry later"), refused,
                    "the legitimate stream and 1,023 others fill the 1,024 places");
            legitimateStreamLosesNothing(receiver, sink, 10, 10);
        }
        Output.assertExactly(out, "legit-", 20);
    }
}
